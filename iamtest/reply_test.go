package iamtest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEnqueueOrder(t *testing.T) {
	t.Parallel()
	srv := start(t)
	srv.Enqueue(Reply{Status: http.StatusTooManyRequests, RetryAfter: "2"})
	srv.Enqueue(Reply{Status: http.StatusServiceUnavailable, Code: "BXNIM0999E", Message: "down"})

	// A scripted error answers whatever the request was.
	resp, body := post(t, srv.URL, url.Values{})
	assert.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
	assert.Equal(t, "2", resp.Header.Get("Retry-After"))
	assertIAMError(t, resp, body, "BXNIM9429E", "Too Many Requests")

	resp, body = post(t, srv.URL, keyForm("k"))
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	assert.Empty(t, resp.Header.Get("Retry-After"))
	assertIAMError(t, resp, body, "BXNIM0999E", "down")

	// The queue is used up: normal behaviour resumes.
	fetch(t, srv, "k")
	fetch(t, srv, "k")
	assert.Equal(t, 4, srv.Requests())
	assert.Equal(t, 2, srv.Issued())
}

func TestEnqueueStatusBelow400(t *testing.T) {
	t.Parallel()
	srv := start(t, WithAPIKeys("k"))
	srv.Enqueue(Reply{Status: http.StatusAccepted}, Reply{Status: http.StatusAccepted})

	resp, body := post(t, srv.URL, keyForm("k"))
	assert.Equal(t, http.StatusAccepted, resp.StatusCode)
	assert.Contains(t, decodeJSON(t, body), "access_token")

	// The request is still checked.
	resp, body = post(t, srv.URL, keyForm("unknown"))
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assertIAMError(t, resp, body, CodeAPIKeyNotFound, "")
}

func TestEnqueueRawBody(t *testing.T) {
	t.Parallel()
	const page = "<html><body>502 Bad Gateway</body></html>"
	tests := []struct {
		name       string
		reply      Reply
		wantStatus int
		wantType   string
	}{
		{"proxy page", Reply{Status: 502, Body: page, ContentType: "text/html"}, 502, "text/html"},
		{"truncated JSON", Reply{Body: `{"access_tok`}, 200, "application/json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := start(t)
			srv.Enqueue(tt.reply)
			resp, body := post(t, srv.URL, keyForm("k"))
			assert.Equal(t, tt.wantStatus, resp.StatusCode)
			assert.Equal(t, tt.wantType, resp.Header.Get("Content-Type"))
			assert.Equal(t, tt.reply.Body, string(body))
			assert.Zero(t, srv.Issued())
		})
	}
}

func TestDelayAndLatency(t *testing.T) {
	t.Parallel()
	const d = 100 * time.Millisecond
	tests := []struct {
		name  string
		setup func(*Server)
	}{
		{"delay", func(s *Server) { s.Enqueue(Reply{Delay: d}) }},
		{"latency", func(s *Server) { s.SetLatency(d) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := start(t)
			tt.setup(srv)
			began := time.Now()
			fetch(t, srv, "k")
			assert.GreaterOrEqual(t, time.Since(began), d)
		})
	}
}

func TestWithLatency(t *testing.T) {
	t.Parallel()
	srv := start(t, WithLatency(100*time.Millisecond))
	began := time.Now()
	fetch(t, srv, "k")
	assert.GreaterOrEqual(t, time.Since(began), 100*time.Millisecond)
}

// stalls are the ways a request can be kept waiting.
var stalls = []struct {
	name  string
	setup func(*Server)
}{
	{"hang", func(s *Server) { s.Enqueue(Reply{Hang: true}) }},
	{"delay", func(s *Server) { s.Enqueue(Reply{Delay: time.Hour}) }},
	{"latency", func(s *Server) { s.SetLatency(time.Hour) }},
}

func TestStallEndsWhenClientGivesUp(t *testing.T) {
	t.Parallel()
	for _, tt := range stalls {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := NewServer()
			tt.setup(srv)
			// Serve srv's handler from a second server, so the test can see
			// the handler return while srv itself stays open.
			done := make(chan struct{})
			watched := func(w http.ResponseWriter, r *http.Request) {
				defer close(done)
				srv.handle(w, r)
			}
			front := httptest.NewServer(http.HandlerFunc(watched))
			// Close srv first: should the handler still wait, front.Close
			// would wait for it.
			t.Cleanup(func() { srv.Close(); front.Close() })

			client := &http.Client{Timeout: 100 * time.Millisecond}
			_, err := client.PostForm(front.URL+tokenPath, keyForm("k"))
			require.Error(t, err)
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				t.Fatal("handler still waiting 5s after the client gave up")
			}
		})
	}
}

func TestCloseEndsStall(t *testing.T) {
	t.Parallel()
	for _, tt := range stalls {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := start(t)
			tt.setup(srv)
			// The client timeout only bounds the test should Close block.
			client := &http.Client{Timeout: 10 * time.Second}
			errc := make(chan error, 1)
			go func() {
				resp, err := client.PostForm(srv.URL, keyForm("k"))
				if err == nil {
					resp.Body.Close()
				}
				errc <- err
			}()
			require.Eventually(t, func() bool { return srv.Requests() == 1 },
				5*time.Second, time.Millisecond)

			closed := make(chan struct{})
			go func() {
				srv.Close()
				close(closed)
			}()
			select {
			case <-closed:
			case <-time.After(time.Second):
				t.Error("Close still blocked after 1s")
			}
			err := <-errc
			require.Error(t, err, "the stalled request got an answer")
			assert.NotErrorIs(t, err, context.DeadlineExceeded, "ended by client timeout")
		})
	}
}

func TestCloseTwice(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	srv.Close()
	assert.NotPanics(t, srv.Close)
}
