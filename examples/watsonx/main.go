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
// The test runs the same code against the fake IAM of package iamtest and a
// local stand-in for WatsonX.
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
)

// defaultModel is the model asked unless -model names another.
const defaultModel = "ibm/granite-3-8b-instruct"

func main() {
	var p prompt
	flag.StringVar(&p.model, "model", defaultModel, "`id` of the model to ask")
	flag.StringVar(&p.text, "prompt", "Write one sentence about the Go gopher.",
		"the `text` to continue")
	flag.IntVar(&p.maxTokens, "max-tokens", 100, "the most tokens to generate")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, p, os.Getenv, os.Stdout)
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
