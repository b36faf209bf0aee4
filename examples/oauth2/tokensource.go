// Package oauth2adapter lets code written against golang.org/x/oauth2 use
// IBM Cloud IAM tokens from a [tokenmanager.Manager]:
//
//	m, err := tokenmanager.New(apiKey) // IAM URL from IBM_AUTH_URL
//	if err != nil { … }
//	defer m.Close()
//	client := oauth2.NewClient(ctx, oauth2adapter.TokenSource(m))
//	resp, err := client.Get("https://api.example.cloud.ibm.com/v1/things")
//
// oauth2.NewClient caches each token until ten seconds before its expiry
// and then asks the source again, which the manager answers from its own
// cache, already refreshed in the background. Neither oauth2's client nor a
// TokenSource sees an API's 401 answer; code that wants a rejected token
// replaced at once should use [tokenmanager.Manager.Transport] instead.
//
// The package lives in a module of its own, so that the tokenmanager module
// does not depend on golang.org/x/oauth2, and is named oauth2adapter so
// that it does not shadow oauth2 where both are imported. Run its tests
// with
//
//	cd examples/oauth2 && go test -race ./...
package oauth2adapter

import (
	"context"
	"fmt"

	"golang.org/x/oauth2"

	"github.com/iamtoken/tokenmanager"
)

// TokenSource returns an oauth2.TokenSource that hands out m's tokens as
// bearer tokens with their expiry. It is safe for concurrent use, as m is,
// and m stays the caller's to close.
//
// oauth2.TokenSource's Token method takes no context, so a call that must
// wait for IAM waits under context.Background(): the manager's own timeout
// per IAM request and its limit on retries bound it.
func TokenSource(m *tokenmanager.Manager) oauth2.TokenSource {
	return tokenSource{m: m}
}

type tokenSource struct {
	m *tokenmanager.Manager
}

func (s tokenSource) Token() (*oauth2.Token, error) {
	tok, expiry, err := s.m.TokenWithExpiry(context.Background())
	if err != nil {
		return nil, fmt.Errorf("oauth2adapter: %w", err)
	}
	return &oauth2.Token{AccessToken: tok, TokenType: "Bearer", Expiry: expiry}, nil
}
