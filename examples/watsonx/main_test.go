package main

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamtoken/tokenmanager"
	"github.com/iamtoken/tokenmanager/iamtest"
)

const (
	testKey     = "watsonx-test-key"
	testProject = "0f1e2d3c-project"
	testPrompt  = "Say something about gophers."
)

// generatedText is what the stand-in generates for testPrompt.
var generatedText = standInText(testPrompt)

var testPromptFlags = prompt{model: defaultModel, text: testPrompt, maxTokens: 20}

// setup starts a fake IAM that accepts testKey and a WatsonX stand-in, and
// returns an environment pointing at both.
func setup(t *testing.T) (*iamtest.Server, *standIn, map[string]string) {
	iam := iamtest.NewServer(iamtest.WithAPIKeys(testKey))
	t.Cleanup(iam.Close)
	api := newStandIn(iam, testProject)
	t.Cleanup(api.Close)
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
	assert.Contains(t, out.String(), testPrompt)
	calls := api.calls()
	require.Len(t, calls, 1)
	assert.Equal(t, map[string]any{
		"model_id":   defaultModel,
		"input":      testPrompt,
		"parameters": map[string]any{"max_new_tokens": float64(20)},
		"project_id": testProject,
	}, calls[0].body)
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
	calls := api.calls()
	require.Len(t, calls, 2, "want one call and one replay")
	assert.Equal(t, http.StatusUnauthorized, calls[0].status)
	assert.NotEqual(t, calls[0].token, calls[1].token, "replay reused the rejected token")
	assert.True(t, iam.Valid(calls[1].token))
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
	assert.Len(t, api.calls(), 2)
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
	assert.Empty(t, api.calls(), "WatsonX was called without a token")
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
			assert.Empty(t, api.calls())
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

// TestRunLocal runs -local and checks that its report gives the counts the
// servers kept, and explains the replay only when there was one.
func TestRunLocal(t *testing.T) {
	t.Parallel()
	report := regexp.MustCompile(`^IAM token requests: (\d+), WatsonX calls: (\d+)(.*)$`)
	tests := []struct {
		name       string
		rejects    int
		iam, calls int
		note       string
	}{
		{"no rejection", 0, 1, 1, ""},
		{"first token rejected", 1, 2, 2,
			" (the first answered 401, replayed with a fresh token)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out strings.Builder

			require.NoError(t, runLocal(context.Background(), testPromptFlags, tt.rejects, &out))
			lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
			require.Len(t, lines, 2, "want the text and the report:\n%s", out.String())
			assert.Equal(t, generatedText, lines[0])
			m := report.FindStringSubmatch(lines[1])
			require.NotNil(t, m, "report line = %q", lines[1])
			assert.Equal(t, strconv.Itoa(tt.iam), m[1], "IAM token requests")
			assert.Equal(t, strconv.Itoa(tt.calls), m[2], "WatsonX calls")
			assert.Equal(t, tt.note, m[3])
		})
	}
}
