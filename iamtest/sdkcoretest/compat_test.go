package sdkcoretest

import (
	"net/http"
	"strings"
	"testing"

	"github.com/IBM/go-sdk-core/v5/core"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamtoken/tokenmanager/iamtest"
)

const apiKey = "sdk-test-key"

// start starts a fake IAM that accepts only apiKey and is closed when the
// test ends.
func start(t *testing.T) *iamtest.Server {
	t.Helper()
	srv := iamtest.NewServer(iamtest.WithAPIKeys(apiKey))
	t.Cleanup(srv.Close)
	return srv
}

func TestGetTokenIsCached(t *testing.T) {
	t.Parallel()
	// go-sdk-core wants the base URL, but strips /identity/token off a full
	// token URL, so both must work.
	tests := []struct {
		name string
		url  func(*iamtest.Server) string
	}{
		{"base URL", func(s *iamtest.Server) string { return s.BaseURL }},
		{"token URL", func(s *iamtest.Server) string { return s.URL }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := start(t)
			auth := &core.IamAuthenticator{ApiKey: apiKey, URL: tt.url(srv)}
			require.NoError(t, auth.Validate())

			token, err := auth.GetToken()
			require.NoError(t, err)
			assert.True(t, srv.Valid(token), "GetToken() = %q, not issued by srv", token)
			assert.Equal(t, 1, srv.Requests())

			again, err := auth.GetToken()
			require.NoError(t, err)
			assert.Equal(t, token, again)
			assert.Equal(t, 1, srv.Requests(), "second GetToken() asked IAM again")
		})
	}
}

func TestAuthenticateSetsBearer(t *testing.T) {
	t.Parallel()
	srv := start(t)
	auth := &core.IamAuthenticator{ApiKey: apiKey, URL: srv.BaseURL}
	req, err := http.NewRequest(http.MethodGet, srv.BaseURL+"/v1/things", nil)
	require.NoError(t, err)

	require.NoError(t, auth.Authenticate(req))
	token, ok := strings.CutPrefix(req.Header.Get("Authorization"), "Bearer ")
	require.True(t, ok, "Authorization = %q", req.Header.Get("Authorization"))
	assert.True(t, srv.Valid(token))
	assert.Equal(t, 1, srv.Issued())
}

func TestErrorAnswers(t *testing.T) {
	t.Parallel()
	const page = "<html><body>Bad Gateway</body></html>"
	tests := []struct {
		name        string
		key         string
		reply       *iamtest.Reply
		wantStatus  int
		wantMessage string
		wantCode    string
	}{
		{"unknown key", "other-key", nil, 400,
			"Provided API key could not be found.", iamtest.CodeAPIKeyNotFound},
		{"scripted 503", apiKey, &iamtest.Reply{Status: 503, Message: "IAM is down"}, 503,
			"IAM is down", "BXNIM9503E"},
		{"proxy page", apiKey, &iamtest.Reply{Status: 502, Body: page, ContentType: "text/html"},
			502, page, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := start(t)
			if tt.reply != nil {
				srv.Enqueue(*tt.reply)
			}
			auth := &core.IamAuthenticator{ApiKey: tt.key, URL: srv.BaseURL}

			_, err := auth.GetToken()
			require.Error(t, err)
			var authErr *core.AuthenticationError
			require.ErrorAs(t, err, &authErr)
			assert.Equal(t, tt.wantStatus, authErr.Response.GetStatusCode())
			assert.Equal(t, tt.wantMessage, err.Error())
			if tt.wantCode != "" {
				assert.Contains(t, authErr.GetConsoleMessage(), "error_code: "+tt.wantCode)
			}
		})
	}
}
