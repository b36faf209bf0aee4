// Command watsonx asks a WatsonX model to continue a prompt and prints its
// answer. It shows [tokenmanager.Manager.Transport] on a real IBM Cloud API:
// the program never handles a token; the transport adds one to each request
// and, when WatsonX answers 401, fetches a new one and sends the request again.
//
// Secrets and endpoints come from the environment, never from flags:
//
//	WATSONX_URL         the regional endpoint, e.g. https://us-south.ml.cloud.ibm.com
//	WATSONX_PROJECT_ID  the WatsonX project the call belongs to
//	WATSONX_APIKEY      the IBM Cloud API key (else IBMCLOUD_API_KEY)
//	IBM_AUTH_URL        the IAM token URL, e.g. https://iam.cloud.ibm.com/identity/token
//
// Flags choose the model, the prompt and the answer's length:
//
//	go run ./examples/watsonx -prompt "Write a haiku about Go." -max-tokens 60
//
// With -local it needs no account and ignores the environment: it starts the
// fake IAM of package iamtest and a WatsonX stand-in in-process, has the
// stand-in reject the first token with 401, and after the generated text
// reports how many requests each server saw, showing the transport's replay:
//
//	go run ./examples/watsonx -local
//
// The tests run the same code against the same two servers.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strings"

	"github.com/iamtoken/tokenmanager"
	"github.com/iamtoken/tokenmanager/iamtest"
)

// defaultModel is the model asked unless -model names another.
const defaultModel = "ibm/granite-3-8b-instruct"

func main() {
	var p prompt
	flag.StringVar(&p.model, "model", defaultModel, "`id` of the model to ask")
	flag.StringVar(&p.text, "prompt", "Write one sentence about the Go gopher.",
		"the `text` to continue")
	flag.IntVar(&p.maxTokens, "max-tokens", 100, "the most tokens to generate")
	local := flag.Bool("local", false,
		"call a fake IAM and a WatsonX stand-in started in-process; no account needed")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	var err error
	if *local {
		err = runLocal(ctx, p, 1, os.Stdout) // reject one token, to show the replay
	} else {
		err = run(ctx, p, os.Getenv, os.Stdout)
	}
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "watsonx:", err)
		os.Exit(1)
	}
}

// A prompt holds the non-secret choices that flags set.
type prompt struct {
	model     string
	text      string
	maxTokens int
}

// A config holds what the program reads from the environment.
type config struct {
	baseURL   string // WATSONX_URL
	projectID string
	apiKey    string
	authURL   string
}

// run sends p to WatsonX as configured by env and writes the generated
// text to stdout.
func run(ctx context.Context, p prompt, env func(string) string, stdout io.Writer) error {
	cfg, err := loadConfig(env)
	if err != nil {
		return err
	}
	m, err := tokenmanager.New(cfg.apiKey, tokenmanager.WithAuthURL(cfg.authURL))
	if err != nil {
		return err
	}
	defer m.Close()

	client := &http.Client{Transport: m.Transport(nil)}
	text, err := generate(ctx, client, cfg, p)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, text)
	return err
}

// Credentials of the -local run; only its own fake IAM and stand-in see them.
const (
	localAPIKey  = "local-api-key"
	localProject = "local-project"
)

// runLocal runs p against a fake IAM and a WatsonX stand-in started for the
// call, and reports to stdout what the two servers saw. The stand-in answers
// the first `rejects` calls with 401. Both are closed before it returns.
func runLocal(ctx context.Context, p prompt, rejects int, stdout io.Writer) error {
	iam := iamtest.NewServer(iamtest.WithAPIKeys(localAPIKey))
	defer iam.Close()
	api := newStandIn(iam, localProject)
	defer api.Close()
	api.reject.Store(int64(rejects))

	env := map[string]string{
		"WATSONX_URL":           api.URL,
		"WATSONX_PROJECT_ID":    localProject,
		"WATSONX_APIKEY":        localAPIKey,
		tokenmanager.EnvAuthURL: iam.URL,
	}
	if err := run(ctx, p, func(name string) string { return env[name] }, stdout); err != nil {
		return err
	}
	calls := api.calls()
	_, err := fmt.Fprintf(stdout, "IAM token requests: %d, WatsonX calls: %d%s\n",
		iam.Requests(), len(calls), replayNote(calls))
	return err
}

// replayNote explains calls when they show the transport's recovery: a 401,
// then a success with a different token.
func replayNote(calls []call) string {
	replayed := len(calls) == 2 && calls[0].status == http.StatusUnauthorized &&
		calls[1].status == http.StatusOK && calls[1].token != calls[0].token
	if !replayed {
		return ""
	}
	return " (the first answered 401, replayed with a fresh token)"
}

// loadConfig reads the environment and names every variable that is
// missing, so one run tells the user all they must set.
func loadConfig(env func(string) string) (config, error) {
	cfg := config{
		baseURL:   env("WATSONX_URL"),
		projectID: env("WATSONX_PROJECT_ID"),
		apiKey:    env("WATSONX_APIKEY"),
		authURL:   env(tokenmanager.EnvAuthURL),
	}
	if cfg.apiKey == "" {
		cfg.apiKey = env("IBMCLOUD_API_KEY")
	}

	var missing []string
	for _, v := range []struct{ name, value string }{
		{"WATSONX_URL", cfg.baseURL},
		{"WATSONX_PROJECT_ID", cfg.projectID},
		{"WATSONX_APIKEY (or IBMCLOUD_API_KEY)", cfg.apiKey},
		{tokenmanager.EnvAuthURL, cfg.authURL},
	} {
		if strings.TrimSpace(v.value) == "" {
			missing = append(missing, v.name)
		}
	}
	if len(missing) > 0 {
		return config{}, fmt.Errorf("missing environment variables: %s",
			strings.Join(missing, ", "))
	}
	return cfg, nil
}
