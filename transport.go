package tokenmanager

import (
	"io"
	"net/http"
)

// Transport returns an http.RoundTripper that authorizes each request with
// the manager's token and sends it through base (http.DefaultTransport when
// nil). It never modifies the caller's request: it sends a copy carrying
// Authorization: Bearer <token>.
//
// When the API answers 401 Unauthorized, the transport invalidates the
// token it used and replays the request once with a fresh one, if the body
// can be replayed (no body, or Request.GetBody set); the second response
// is returned whatever it is. A failure to get a token is returned as the
// round-trip error, still matchable with errors.As and errors.Is. The
// request's context bounds the whole round trip, the wait for a token
// included.
func (m *Manager) Transport(base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &transport{m: m, base: base}
}

type transport struct {
	m    *Manager
	base http.RoundTripper
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	tok, err := t.m.current(req.Context())
	if err != nil {
		closeBody(req)
		return nil, err // already says it comes from tokenmanager
	}
	resp, err := t.base.RoundTrip(authorized(req, tok))
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		return resp, err
	}

	// The API rejected the token: get another and try once more.
	t.m.Invalidate(tok.value)
	if !replayable(req) {
		return resp, nil
	}
	fresh, err := t.m.current(req.Context())
	if err != nil || fresh == tok {
		return resp, nil // no better token: the 401 stands
	}
	retry := authorized(req, fresh)
	if req.Body != nil && req.Body != http.NoBody {
		if retry.Body, err = req.GetBody(); err != nil {
			return resp, nil
		}
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	return t.base.RoundTrip(retry)
}

// authorized returns a shallow copy of req whose headers are its own and
// carry tok.
func authorized(req *http.Request, tok *token) *http.Request {
	r := new(http.Request)
	*r = *req
	r.Header = req.Header.Clone()
	if r.Header == nil {
		r.Header = make(http.Header, 1)
	}
	r.Header.Set("Authorization", tok.bearer)
	return r
}

func replayable(req *http.Request) bool {
	return req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
}

// closeBody honours the RoundTripper rule that the body is closed even
// when the request is not sent.
func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}
