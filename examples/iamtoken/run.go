package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/iamtoken/tokenmanager"
)

// Exit statuses.
const (
	exitOK      = 0
	exitFailure = 1 // IAM or the network failed
	exitUsage   = 2 // bad flags, or no usable key or URL
)

// maxKeyInput bounds how much of standard input is read for a key; real
// keys are 44 characters.
const maxKeyInput = 4 << 10

// errNoKey says where a key can come from, without suggesting a flag.
var errNoKey = errors.New("no API key: set WATSONX_APIKEY or IBMCLOUD_API_KEY, " +
	"or pipe the key in with -stdin")

// options are the parsed flags.
type options struct {
	json    bool
	stdin   bool
	url     string
	timeout time.Duration
}

// run is the whole command: it parses args, finds the key, asks IAM for a
// token and prints it, and returns the exit status.
func run(ctx context.Context, args []string, env func(string) string,
	stdin io.Reader, stdout, stderr io.Writer) int {
	opts, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		return exitUsage
	}
	key, err := apiKey(opts, env, stdin)
	if err != nil {
		return fail(stderr, exitUsage, err)
	}
	if opts.url == "" {
		opts.url = env(tokenmanager.EnvAuthURL)
	}
	m, err := tokenmanager.New(key, tokenmanager.WithAuthURL(opts.url))
	if errors.Is(err, tokenmanager.ErrMissingAuthURL) {
		err = errors.New("no IAM URL: use -url or set " + tokenmanager.EnvAuthURL)
	}
	if err != nil {
		return fail(stderr, exitUsage, err)
	}
	defer m.Close()

	ctx, cancel := context.WithTimeout(ctx, opts.timeout)
	defer cancel()
	tok, err := m.Token(ctx)
	if err != nil {
		return fail(stderr, exitFailure, err)
	}
	if err := writeToken(stdout, opts.json, tok, m.Expiry()); err != nil {
		return fail(stderr, exitFailure, err)
	}
	return exitOK
}

// parseFlags parses args. It reports a bad flag or argument on stderr
// itself, so callers only map the error to an exit status.
func parseFlags(args []string, stderr io.Writer) (options, error) {
	var opts options
	fs := flag.NewFlagSet("iamtoken", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.BoolVar(&opts.json, "json", false, "print the token and its expiry as JSON")
	fs.BoolVar(&opts.stdin, "stdin", false, "read the API key from standard input")
	fs.StringVar(&opts.url, "url", "", "the IAM token `URL` (default $IBM_AUTH_URL)")
	fs.DurationVar(&opts.timeout, "timeout", 30*time.Second, "how long to wait for IAM")
	if err := fs.Parse(args); err != nil {
		return opts, err
	}

	var err error
	switch {
	case fs.NArg() > 0:
		// The argument is not echoed: it may be a key typed in the wrong place.
		err = errors.New("unexpected argument; " +
			"the API key is never an argument: use the environment or -stdin")
	case opts.timeout <= 0:
		err = errors.New("-timeout must be positive")
	}
	if err != nil {
		fail(stderr, exitUsage, err)
	}
	return opts, err
}

// apiKey finds the key by the documented rule: standard input with -stdin,
// else WATSONX_APIKEY, else IBMCLOUD_API_KEY.
func apiKey(opts options, env func(string) string, stdin io.Reader) (string, error) {
	if opts.stdin {
		return readKey(stdin)
	}
	if key := env("WATSONX_APIKEY"); key != "" {
		return key, nil
	}
	if key := env("IBMCLOUD_API_KEY"); key != "" {
		return key, nil
	}
	return "", errNoKey
}

// readKey returns the first line of r, trimmed of surrounding space, so
// that `echo "$KEY" | iamtoken -stdin` works.
func readKey(r io.Reader) (string, error) {
	sc := bufio.NewScanner(io.LimitReader(r, maxKeyInput))
	sc.Buffer(make([]byte, 0, 256), maxKeyInput)
	if !sc.Scan() {
		if err := sc.Err(); err != nil {
			return "", fmt.Errorf("read API key from standard input: %w", err)
		}
		return "", errors.New("no API key: standard input is empty")
	}
	key := strings.TrimSpace(sc.Text())
	if key == "" {
		return "", errors.New("no API key: the first line of standard input is blank")
	}
	return key, nil
}

// writeToken writes the token alone, or with its expiry as JSON.
func writeToken(w io.Writer, asJSON bool, tok string, expiry time.Time) error {
	if !asJSON {
		_, err := fmt.Fprintln(w, tok)
		return err
	}
	return json.NewEncoder(w).Encode(struct {
		AccessToken string `json:"access_token"`
		Expiry      string `json:"expiry"`
	}{tok, expiry.UTC().Format(time.RFC3339)})
}

// fail reports err on stderr and returns code. Errors from tokenmanager
// never hold the key, and this package's own never quote it.
func fail(stderr io.Writer, code int, err error) int {
	fmt.Fprintln(stderr, "iamtoken:", err)
	return code
}
