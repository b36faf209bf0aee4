// Package iam holds the wire format of the IBM Cloud IAM token endpoint:
// how a token request is built and how a reply is read. It keeps no state
// and never puts the API key, a token or a raw reply body into an error.
package iam

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// GrantType is the OAuth grant type IAM uses to exchange an API key.
const GrantType = "urn:ibm:params:oauth:grant-type:apikey"

// Form returns the encoded request body that exchanges apiKey for a token.
// Callers build it once and reuse it for every request.
func Form(apiKey string) string {
	return "grant_type=" + url.QueryEscape(GrantType) +
		"&apikey=" + url.QueryEscape(apiKey)
}

// NewRequest builds a token request to tokenURL carrying form, bound to ctx.
// The key travels only in the body, never in the URL or a header.
func NewRequest(ctx context.Context, tokenURL, form, userAgent string) (*http.Request, error) {
	body := strings.NewReader(form)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, tokenURL, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", userAgent)
	return req, nil
}

// RefuseRedirect is an http.Client CheckRedirect hook that stops at the first
// redirect, so that the API key is never posted to a second address.
func RefuseRedirect(*http.Request, []*http.Request) error {
	return http.ErrUseLastResponse
}

// ReadBody reads at most MaxReplySize bytes of r. It reports whether the
// reply was longer than that, without reading the rest.
func ReadBody(r io.Reader) (body []byte, tooLong bool, err error) {
	body, err = io.ReadAll(io.LimitReader(r, MaxReplySize+1))
	if len(body) > MaxReplySize {
		return body[:MaxReplySize], true, err
	}
	return body, false, err
}
