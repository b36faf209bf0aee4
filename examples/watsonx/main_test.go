package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamtoken/tokenmanager"
	"github.com/iamtoken/tokenmanager/iamtest"
)

const (
	testKey       = "watsonx-test-key"
	testProject   = "0f1e2d3c-project"
	testPrompt    = "Say something about gophers."
	generatedText = "Gophers dig tunnels and write Go."
)

var testPromptFlags = prompt{model: defaultModel, text: testPrompt, maxTokens: 20}

// A standIn imitates WatsonX's text generation endpoint. It checks each
// request's shape, accepts only bearer tokens its IAM issued, and answers
// 401 to the first reject calls whatever their token.
type standIn struct {
	*httptest.Server
	iam    *iamtest.Server
	reject atomic.Int64

	// mu guards tokens, the bearer token of each call in order.
	mu     sync.Mutex
	tokens []string
}

func newStandIn(t *testing.T, iam *iamtest.Server) *standIn {
	s := &standIn{iam: iam}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *standIn) serve(w http.ResponseWriter, r *http.Request) {
	tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	s.mu.Lock()
	s.tokens = append(s.tokens, tok)
	s.mu.Unlock()

	if s.reject.Add(-1) >= 0 || !s.iam.Valid(tok) {
		writeError(w, http.StatusUnauthorized, "authentication_token_not_valid",
			"Failed to authenticate the request due to invalid token")
		return
	}
	if problem := checkRequest(r); problem != "" {
		writeError(w, http.StatusBadRequest, "invalid_request", problem)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"model_id":%q,"created_at":"2025-01-15T10:00:00.000Z",`+
		`"results":[{"generated_text":%q,"generated_token_count":8,`+
		`"input_token_count":6,"stop_reason":"max_tokens"}]}`,
		defaultModel, generatedText)
}

func (s *standIn) seen() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.tokens...)
}

// checkRequest describes what is wrong with a text generation request, or
// returns "" when it is what WatsonX expects.
func checkRequest(r *http.Request) string {
	switch {
	case r.Method != http.MethodPost:
		return "method " + r.Method
	case r.URL.Path != "/ml/v1/text/generation":
		return "path " + r.URL.Path
	case r.URL.Query().Get("version") != "2023-05-29":
		return "version " + r.URL.Query().Get("version")
	case r.Header.Get("Content-Type") != "application/json":
		return "content type " + r.Header.Get("Content-Type")
	}
	var got map[string]any
	if err := json.NewDecoder(r.Body).Decode(&got); err != nil {
		return "body: " + err.Error()
	}
	want := map[string]any{
		"model_id":   defaultModel,
		"input":      testPrompt,
		"parameters": map[string]any{"max_new_tokens": float64(20)},
		"project_id": testProject,
	}
	if !assert.ObjectsAreEqual(want, got) {
		return fmt.Sprintf("body %v, want %v", got, want)
	}
	return ""
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"errors":[{"code":%q,"message":%q}],"trace":"t-123","status_code":%d}`,
		code, msg, status)
}

// setup starts a fake IAM that accepts testKey and a WatsonX stand-in, and
// returns an environment pointing at both.
func setup(t *testing.T) (*iamtest.Server, *standIn, map[string]string) {
	iam := iamtest.NewServer(iamtest.WithAPIKeys(testKey))
	t.Cleanup(iam.Close)
	api := newStandIn(t, iam)
	env := map[string]string{
		"WATSONX_URL":        api.URL,
		"WATSONX_PROJECT_ID": testProject,
		"WATSONX_APIKEY":     testKey,
		"IBM_AUTH_URL":       iam.URL,
	}
	return iam, api, env
}

func lookup(env map[string]string) func(string) string {
	return func(name string) string { return env[name] }
}

func TestRunPrintsGeneratedText(t *testing.T) {
	t.Parallel()
	iam, api, env := setup(t)
	var out strings.Builder

	err := run(context.Background(), testPromptFlags, lookup(env), &out)
	require.NoError(t, err)
	assert.Equal(t, generatedText+"\n", out.String())
	assert.Len(t, api.seen(), 1)
	assert.Equal(t, 1, iam.Issued())
}

func TestRunReadsIBMCloudAPIKey(t *testing.T) {
	t.Parallel()
	_, _, env := setup(t)
	env["IBMCLOUD_API_KEY"], env["WATSONX_APIKEY"] = testKey, ""
	var out strings.Builder

	require.NoError(t, run(context.Background(), testPromptFlags, lookup(env), &out))
	assert.Equal(t, generatedText+"\n", out.String())
}

func TestRunRecoversFromUnauthorized(t *testing.T) {
	t.Parallel()
	iam, api, env := setup(t)
	api.reject.Store(1) // as if the first token had been revoked
	var out strings.Builder

	require.NoError(t, run(context.Background(), testPromptFlags, lookup(env), &out))
	assert.Equal(t, generatedText+"\n", out.String())
	seen := api.seen()
	require.Len(t, seen, 2, "want one call and one replay")
	assert.NotEqual(t, seen[0], seen[1], "replay reused the rejected token")
	assert.True(t, iam.Valid(seen[1]))
	assert.Equal(t, 2, iam.Issued())
}

func TestRunGivesUpAfterOneReplay(t *testing.T) {
	t.Parallel()
	_, api, env := setup(t)
	api.reject.Store(100)

	err := run(context.Background(), testPromptFlags, lookup(env), &strings.Builder{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "401 Unauthorized")
	assert.Contains(t, err.Error(), "authentication_token_not_valid")
	assert.Len(t, api.seen(), 2)
}

func TestRunRejectedKey(t *testing.T) {
	t.Parallel()
	_, api, env := setup(t)
	env["WATSONX_APIKEY"] = "a-wrong-key"

	err := run(context.Background(), testPromptFlags, lookup(env), &strings.Builder{})
	var iamErr *tokenmanager.IAMError
	require.ErrorAs(t, err, &iamErr)
	assert.Equal(t, iamtest.CodeAPIKeyNotFound, iamErr.Code)
	assert.NotContains(t, err.Error(), "a-wrong-key")
	assert.Empty(t, api.seen(), "WatsonX was called without a token")
}

func TestRunMissingEnvironment(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		drop []string
		want string
	}{
		{"everything", []string{"WATSONX_URL", "WATSONX_PROJECT_ID", "WATSONX_APIKEY",
			"IBM_AUTH_URL"}, "missing environment variables: WATSONX_URL, " +
			"WATSONX_PROJECT_ID, WATSONX_APIKEY (or IBMCLOUD_API_KEY), IBM_AUTH_URL"},
		{"key", []string{"WATSONX_APIKEY"},
			"missing environment variables: WATSONX_APIKEY (or IBMCLOUD_API_KEY)"},
		{"project", []string{"WATSONX_PROJECT_ID"},
			"missing environment variables: WATSONX_PROJECT_ID"},
		{"IAM URL", []string{"IBM_AUTH_URL"}, "missing environment variables: IBM_AUTH_URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			iam, api, env := setup(t)
			for _, name := range tt.drop {
				delete(env, name)
			}

			err := run(context.Background(), testPromptFlags, lookup(env), &strings.Builder{})
			require.Error(t, err)
			assert.Equal(t, tt.want, err.Error())
			assert.Zero(t, iam.Requests())
			assert.Empty(t, api.seen())
		})
	}
}

func TestRunHonoursContext(t *testing.T) {
	t.Parallel()
	_, _, env := setup(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()

	err := run(ctx, testPromptFlags, lookup(env), &strings.Builder{})
	assert.True(t, errors.Is(err, context.Canceled), "run() = %v, want context.Canceled", err)
}
