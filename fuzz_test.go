package tokenmanager

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/iamtoken/tokenmanager/internal/iam"
)

// FuzzDecode feeds IAM replies (status, two headers, body) to the decoder.
// It must never panic, never schedule a token with a non-positive or
// overflowing lifetime, and never put more than a short excerpt of the
// body into an error. `make test` runs the seeds; `make fuzz` explores.
func FuzzDecode(f *testing.F) {
	seeds := []struct {
		status     int
		retryAfter string
		body       string
	}{
		{200, "", `{"access_token":"eyJhbGciOiJSUzI1NiJ9.eyJleHAiOjF9.c2ln",` +
			`"refresh_token":"not_supported","token_type":"Bearer","expires_in":3600,` +
			`"expiration":1900000000,"scope":"ibm openid","ims_user_id":118}`},
		{200, "", `{"access_token":"a","expires_in":"3600","expiration":"soon"}`},
		{200, "", `{"access_token":"a","expires_in":1e12}`},
		{200, "", `{"access_token":"a","expires_in":-5}`},
		{200, "", `{}`},
		{200, "", `<html><body>Proxy</body></html>`},
		{200, "", `{"access_token":"a","expi`},
		{400, "", `{"errorCode":"BXNIM0415E","errorMessage":"Provided API key could ` +
			`not be found.","context":{"requestId":"abc","requestType":"incoming.Identity_Token"}}`},
		{429, "7", `{"errorCode":"BXNIM0436E","errorMessage":"slow down"}`},
		{503, "Wed, 21 Oct 2015 07:28:00 GMT", `Service Unavailable`},
		{307, "", ``},
	}
	for _, s := range seeds {
		f.Add(s.status, s.retryAfter, "txn-1", []byte(s.body))
	}

	m, err := New(testKey, WithAuthURL(DefaultAuthURL))
	if err != nil {
		f.Fatal(err)
	}
	defer m.Close()
	f.Fuzz(func(t *testing.T, status int, retryAfter, txn string, body []byte) {
		header := http.Header{"Retry-After": {retryAfter}, "Transaction-Id": {txn}}
		tooLong := len(body) > iam.MaxReplySize
		if tooLong {
			body = body[:iam.MaxReplySize]
		}
		sent := m.now()
		tok, err := m.decode(bg, status, header, body, tooLong, sent)
		if err != nil {
			checkDecodeError(t, err, body)
			return
		}
		lifetime := tok.usableUntil.sub(sent)
		if tok.value == "" || lifetime <= 0 || lifetime > iam.MaxLifetime {
			t.Fatalf("decode gave token %q usable for %v", tok.value, lifetime)
		}
		if !tok.refreshAt.before(tok.usableUntil) && tok.refreshAt != tok.usableUntil {
			t.Fatalf("refresh point after end of use")
		}
		if got := tok.expiry.Sub(time.Unix(0, sent.wall)); got <= 0 || got > iam.MaxLifetime {
			t.Fatalf("expiry %v after sending", got)
		}
	})
}

func checkDecodeError(t *testing.T, err error, body []byte) {
	t.Helper()
	msg := err.Error()
	if len(msg) > 1024 {
		t.Fatalf("error text is %d bytes", len(msg))
	}
	if !strings.HasPrefix(msg, "tokenmanager: ") {
		t.Fatalf("error %q lacks the prefix", msg)
	}
	// A body that is not JSON has no field to quote, so none of it may show.
	if len(body) > 128 && !json.Valid(body) && strings.Contains(msg, string(body[:128])) {
		t.Fatalf("error quotes the body: %q", msg)
	}
}
