package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamtoken/tokenmanager/iamtest"
)

const (
	goodKey  = "iamtoken-good-key-0123456789"
	wrongKey = "iamtoken-wrong-key-9876543210"
)

// result is what one run of the command left behind.
type result struct {
	code           int
	stdout, stderr string
}

// invoke runs the command and checks that no key it was given, by the
// environment or by stdin, shows in its output.
func invoke(t *testing.T, args []string, env map[string]string, stdin string) result {
	t.Helper()
	var stdout, stderr strings.Builder
	code := run(context.Background(), args, func(name string) string { return env[name] },
		strings.NewReader(stdin), &stdout, &stderr)
	r := result{code, stdout.String(), stderr.String()}

	secrets := []string{env["WATSONX_APIKEY"], env["IBMCLOUD_API_KEY"], strings.TrimSpace(stdin)}
	for _, s := range secrets {
		if s != "" {
			assert.NotContains(t, r.stdout+r.stderr, s, "the key leaked")
		}
	}
	return r
}

// start returns a fake IAM that accepts only goodKey.
func start(t *testing.T, opts ...iamtest.Option) *iamtest.Server {
	t.Helper()
	iam := iamtest.NewServer(append(opts, iamtest.WithAPIKeys(goodKey))...)
	t.Cleanup(iam.Close)
	return iam
}

func TestPrintsToken(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  map[string]string
	}{
		{"WATSONX_APIKEY", map[string]string{"WATSONX_APIKEY": goodKey}},
		{"IBMCLOUD_API_KEY", map[string]string{"IBMCLOUD_API_KEY": goodKey}},
		{"WATSONX_APIKEY first", map[string]string{"WATSONX_APIKEY": goodKey,
			"IBMCLOUD_API_KEY": wrongKey}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			iam := start(t)
			tt.env["IBM_AUTH_URL"] = iam.URL

			r := invoke(t, nil, tt.env, "")
			require.Equal(t, exitOK, r.code, "stderr: %s", r.stderr)
			tok, ok := strings.CutSuffix(r.stdout, "\n")
			require.True(t, ok, "output %q does not end in a newline", r.stdout)
			assert.True(t, iam.Valid(tok), "printed %q, not a token IAM issued", tok)
			assert.Empty(t, r.stderr)
		})
	}
}

func TestJSON(t *testing.T) {
	t.Parallel()
	iam := start(t, iamtest.WithLifetime(time.Hour))
	env := map[string]string{"WATSONX_APIKEY": goodKey}

	r := invoke(t, []string{"-json", "-url", iam.URL}, env, "")
	require.Equal(t, exitOK, r.code, "stderr: %s", r.stderr)
	var got map[string]string
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &got))
	assert.Len(t, got, 2, "want access_token and expiry only: %s", r.stdout)
	assert.True(t, iam.Valid(got["access_token"]))
	expiry, err := time.Parse(time.RFC3339, got["expiry"])
	require.NoError(t, err)
	assert.WithinDuration(t, time.Now().Add(time.Hour), expiry, 5*time.Second)
}

func TestKeyFromStdin(t *testing.T) {
	t.Parallel()
	iam := start(t)
	// -stdin wins over the environment.
	env := map[string]string{"IBM_AUTH_URL": iam.URL, "WATSONX_APIKEY": wrongKey}

	r := invoke(t, []string{"-stdin"}, env, goodKey+"\nignored second line\n")
	require.Equal(t, exitOK, r.code, "stderr: %s", r.stderr)
	assert.True(t, iam.Valid(strings.TrimSpace(r.stdout)))
}

func TestUsageErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		args  []string
		env   map[string]string
		stdin string
		want  string
	}{
		{"no key", nil, map[string]string{}, "",
			"iamtoken: no API key: set WATSONX_APIKEY or IBMCLOUD_API_KEY"},
		{"empty stdin", []string{"-stdin"}, map[string]string{}, "",
			"iamtoken: no API key: standard input is empty"},
		{"blank stdin", []string{"-stdin"}, map[string]string{}, "  \n" + goodKey,
			"iamtoken: no API key: the first line of standard input is blank"},
		{"no URL", nil, map[string]string{"WATSONX_APIKEY": goodKey}, "",
			"iamtoken: no IAM URL: use -url or set IBM_AUTH_URL"},
		{"key as argument", []string{goodKey}, map[string]string{}, "",
			"iamtoken: unexpected argument"},
		{"key flag", []string{"-apikey", goodKey}, map[string]string{}, "",
			"flag provided but not defined: -apikey"},
		{"quoted key", []string{"-url", "http://127.0.0.1:1"},
			map[string]string{"WATSONX_APIKEY": `"` + goodKey + `"`}, "",
			"API key is malformed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := invoke(t, tt.args, tt.env, tt.stdin)
			assert.Equal(t, exitUsage, r.code)
			assert.Contains(t, r.stderr, tt.want)
			assert.Empty(t, r.stdout)
			assert.NotContains(t, r.stderr, goodKey, "the key was echoed")
		})
	}
}

func TestRejectedKey(t *testing.T) {
	t.Parallel()
	iam := start(t)
	env := map[string]string{"IBM_AUTH_URL": iam.URL, "IBMCLOUD_API_KEY": wrongKey}

	r := invoke(t, nil, env, "")
	assert.Equal(t, exitFailure, r.code)
	assert.Contains(t, r.stderr, iamtest.CodeAPIKeyNotFound)
	assert.Empty(t, r.stdout)
}

func TestTimeout(t *testing.T) {
	t.Parallel()
	iam := start(t, iamtest.WithLatency(time.Minute))
	env := map[string]string{"IBM_AUTH_URL": iam.URL, "WATSONX_APIKEY": goodKey}

	r := invoke(t, []string{"-timeout", "50ms"}, env, "")
	assert.Equal(t, exitFailure, r.code)
	assert.Contains(t, r.stderr, "deadline exceeded")
	assert.Empty(t, r.stdout)
}

func TestHelp(t *testing.T) {
	t.Parallel()
	r := invoke(t, []string{"-h"}, map[string]string{}, "")
	assert.Equal(t, exitOK, r.code)
	assert.Contains(t, r.stderr, "-stdin")
	assert.Empty(t, r.stdout)
}
