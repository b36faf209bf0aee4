package iamtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Error codes sent in the errorCode field of a 400 answer. Only
// [CodeAPIKeyNotFound] is documented IAM behaviour; the others are iamtest's
// own choice of plausible IAM-style codes, so match them in tests of your
// own code only if you mean to depend on iamtest. Errors with no code of
// their own (404, 405, 413 for a body over 64 KiB, and a scripted [Reply]
// without a Code) get "BXNIM9" + status + "E", such as BXNIM9404E.
const (
	// CodeBadContentType means the body was not an
	// application/x-www-form-urlencoded form.
	CodeBadContentType = "BXNIM0102E"
	// CodeMissingAPIKey means the apikey form field was missing or empty.
	CodeMissingAPIKey = "BXNIM0106E"
	// CodeBadGrantType means grant_type was missing or not the API key grant.
	CodeBadGrantType = "BXNIM0109E"
	// CodeAPIKeyNotFound means the API key is not one the server accepts. Real
	// IAM sends this code, with the message "Provided API key could not be
	// found.", for a deleted or mistyped key.
	CodeAPIKeyNotFound = "BXNIM0415E"
)

// Reply scripts one answer of a [Server]; see [Server.Enqueue]. Zero fields
// mean "as normal", so Reply{Delay: time.Second} is a normal answer that
// comes a second late.
type Reply struct {
	// Status is the HTTP status to answer with. From 400 up, the answer is
	// an IAM error body with Code and Message, whatever the request was.
	// Below 400 the request is checked and a token issued as normal, but
	// sent with this status. Zero means a normal answer; anything else must
	// be a valid HTTP status code.
	Status int
	// Code is the errorCode of an error answer; empty means "BXNIM9" +
	// Status + "E".
	Code string
	// Message is the errorMessage of an error answer; empty means the
	// status text, such as "Too Many Requests".
	Message string
	// RetryAfter, if not empty, is sent as the Retry-After header.
	RetryAfter string
	// Body, if not empty, is sent verbatim instead of a JSON body, for
	// example an HTML page from a proxy or truncated JSON. No token is
	// issued and the request is not checked.
	Body string
	// ContentType replaces the Content-Type header when Body is set; empty
	// keeps application/json.
	ContentType string
	// Delay is added to the server's latency before answering. The wait
	// ends without an answer when the client gives up or the server closes.
	Delay time.Duration
	// Hang makes the server accept the request and never answer; the
	// request ends when the client gives up or the server closes.
	Hang bool
}

// failure is an error answer in IAM's shape.
type failure struct {
	status  int
	code    string
	message string
}

// failed returns the answer for reply as a failure, filling in the defaults.
func failed(reply Reply) failure {
	f := failure{status: reply.Status, code: reply.Code, message: reply.Message}
	if f.code == "" {
		f.code = "BXNIM9" + strconv.Itoa(f.status) + "E"
	}
	if f.message == "" {
		f.message = http.StatusText(f.status)
	}
	return f
}

// errorBody is the JSON body of an IAM error answer.
type errorBody struct {
	Code    string       `json:"errorCode"`
	Message string       `json:"errorMessage"`
	Context errorContext `json:"context"`
}

// errorContext is the context object IAM adds to an error answer to help its
// support staff trace the request.
type errorContext struct {
	RequestID   string `json:"requestId"`
	RequestType string `json:"requestType"`
	UserAgent   string `json:"userAgent"`
	URL         string `json:"url"`
	InstanceID  string `json:"instanceId"`
	Host        string `json:"host"`
	StartTime   string `json:"startTime"`
	EndTime     string `json:"endTime"`
	ElapsedTime string `json:"elapsedTime"`
	Locale      string `json:"locale"`
}

// tokenBody is the JSON body of a successful answer.
type tokenBody struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	Expiration   int64  `json:"expiration"`
	Scope        string `json:"scope"`
	IMSUserID    int64  `json:"ims_user_id"`
}

// exchange is one request being answered, as named in an error body.
type exchange struct {
	id    string
	start time.Time
}

// writeFailure sends f as an IAM error body for the request r.
func (s *Server) writeFailure(w http.ResponseWriter, r *http.Request, x exchange, f failure) {
	end := s.now()
	body := errorBody{Code: f.code, Message: f.message, Context: errorContext{
		RequestID:   x.id,
		RequestType: "incoming.Identity_Token",
		UserAgent:   r.UserAgent(),
		URL:         s.BaseURL,
		InstanceID:  "iamtest",
		Host:        "iamtest",
		StartTime:   timestamp(x.start),
		EndTime:     timestamp(end),
		ElapsedTime: strconv.FormatInt(end.Sub(x.start).Milliseconds(), 10),
		Locale:      "en_US",
	}}
	if f.status == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", http.MethodPost)
	}
	writeJSON(w, f.status, body)
}

// writeJSON sends v as a JSON body with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v) // only called with the body structs above
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b) // the client may be gone; there is no one to tell
}

// writeRaw sends the verbatim body of a scripted reply.
func writeRaw(w http.ResponseWriter, reply Reply) {
	status := reply.Status
	if status == 0 {
		status = http.StatusOK
	}
	contentType := reply.ContentType
	if contentType == "" {
		contentType = "application/json"
	}
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	_, _ = w.Write([]byte(reply.Body)) // as in writeJSON
}

// timestamp formats t as IAM does in error contexts, such as
// "20.01.2024 09:55:22:146 UTC".
func timestamp(t time.Time) string {
	t = t.UTC()
	return fmt.Sprintf("%s:%03d UTC", t.Format("02.01.2006 15:04:05"), t.Nanosecond()/1e6)
}
