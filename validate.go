package tokenmanager

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"unicode"
	"unicode/utf8"
)

// checkAPIKey rejects keys that cannot be real, without showing the key:
// blank ones, and ones that picked up quotes, braces or whitespace from a
// config file or a shell.
func checkAPIKey(key string) error {
	if strings.TrimSpace(key) == "" {
		return ErrMissingAPIKey
	}
	first, _ := utf8.DecodeRuneInString(key)
	last, _ := utf8.DecodeLastRuneInString(key)
	if isWrapping(first) || isWrapping(last) {
		return fmt.Errorf("%w: it starts or ends with a quote, brace or space",
			ErrInvalidAPIKey)
	}
	if strings.IndexFunc(key, unicode.IsControl) >= 0 {
		return fmt.Errorf("%w: it holds a control character", ErrInvalidAPIKey)
	}
	return nil
}

func isWrapping(r rune) bool {
	return unicode.IsSpace(r) || strings.ContainsRune("\"'`{}[]<>", r)
}

// authURL picks the IAM URL (the option, else IBM_AUTH_URL) and checks it.
func (c *config) authURL() (string, error) {
	raw := c.authURLOption
	if !c.authURLSet {
		raw = os.Getenv(EnvAuthURL)
	}
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", ErrMissingAuthURL
	}
	return checkAuthURL(raw, c.insecureHTTP)
}

// checkAuthURL validates raw and appends /identity/token when it has no
// path. Errors show the URL without its password, if it has one.
func checkAuthURL(raw string, insecureHTTP bool) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // the bare reason; url.Error would repeat the URL
		}
		return "", fmt.Errorf("%w: %v", ErrInvalidAuthURL, err)
	}
	bad := func(why string) error {
		return fmt.Errorf("%w: %s: %s", ErrInvalidAuthURL, u.Redacted(), why)
	}
	switch scheme := strings.ToLower(u.Scheme); {
	case scheme != "https" && scheme != "http":
		return "", bad("scheme must be https or http")
	case u.Host == "" || u.Hostname() == "":
		return "", bad("no host")
	case scheme == "http" && !insecureHTTP && !isLoopback(u.Hostname()):
		return "", bad("plain http is allowed only to loopback hosts; " +
			"use https, or WithInsecureHTTP for a private test network")
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = "/identity/token"
	}
	return u.String(), nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
