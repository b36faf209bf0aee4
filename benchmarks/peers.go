package benchmarks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"cloud.google.com/go/auth"
	"github.com/IBM/go-sdk-core/v5/core"
	"github.com/aws/aws-sdk-go-v2/aws"
	"golang.org/x/oauth2"

	"github.com/iamtoken/tokenmanager"
	"github.com/iamtoken/tokenmanager/iamtest"
)

// apiKey is the key every implementation exchanges; the stub takes any key.
const apiKey = "benchmark-api-key"

// awsExpiryWindow is the aws cache's ExpiryWindow. It matches
// tokenmanager.DefaultRefreshBuffer, so both refresh a minute early; the
// aws cache has no jitter by default and we add none.
const awsExpiryWindow = time.Minute

// A tokenFunc returns the access token an implementation holds now,
// asking IAM first when it must. It is how benchmarks and tests see every
// implementation alike.
type tokenFunc func(context.Context) (string, error)

// An opener builds one implementation for the IAM stub srv, sending its IAM
// requests through client. It makes no request itself, except the floor's
// one. The returned func releases what the implementation holds.
type opener func(srv *iamtest.Server, client *http.Client) (tokenFunc, func(), error)

// caches names the token caches that go to IAM on their own, in table
// order: this library first, then its peers.
var caches = []string{"ours", "gosdkcore", "oauth2", "aws", "google"}

// names lists every implementation that is benchmarked, in table order.
var names = []string{"ours", "gosdkcore", "oauth2", "aws", "google", "floor"}

// openers builds each implementation by name.
var openers = map[string]opener{
	"ours":      openOurs,
	"gosdkcore": openSDKCore,
	"oauth2":    openOAuth2,
	"aws":       openAWS,
	"google":    openGoogle,
	"floor":     openFloor,
}

// openOurs is a tokenmanager.Manager with its defaults.
func openOurs(srv *iamtest.Server, client *http.Client) (tokenFunc, func(), error) {
	m, err := tokenmanager.New(apiKey,
		tokenmanager.WithAuthURL(srv.URL), tokenmanager.WithHTTPClient(client))
	if err != nil {
		return nil, nil, err
	}
	return m.Token, func() { m.Close() }, nil
}

// openSDKCore is go-sdk-core's IamAuthenticator, which refreshes in the
// background once 80% of a token's lifetime has passed.
func openSDKCore(srv *iamtest.Server, client *http.Client) (tokenFunc, func(), error) {
	a := &core.IamAuthenticator{ApiKey: apiKey, URL: srv.BaseURL, Client: client}
	if err := a.Validate(); err != nil {
		return nil, nil, err
	}
	get := func(context.Context) (string, error) { return a.GetToken() }
	return get, func() {}, nil
}

// openOAuth2 is an oauth2.ReuseTokenSource with its default early expiry
// of 10 s. It has no background refresh.
func openOAuth2(srv *iamtest.Server, client *http.Client) (tokenFunc, func(), error) {
	ts := oauth2.ReuseTokenSource(nil, oauth2Source{iamClient{client, srv.URL}})
	get := func(context.Context) (string, error) {
		t, err := ts.Token()
		if err != nil {
			return "", err
		}
		return t.AccessToken, nil
	}
	return get, func() {}, nil
}

// openAWS is an aws.CredentialsCache holding the token as its access key
// ID, with an expiry window of [awsExpiryWindow]. It has no background
// refresh.
func openAWS(srv *iamtest.Server, client *http.Client) (tokenFunc, func(), error) {
	iam := iamClient{client, srv.URL}
	provider := aws.CredentialsProviderFunc(func(ctx context.Context) (aws.Credentials, error) {
		tok, expiry, err := iam.fetch(ctx)
		if err != nil {
			return aws.Credentials{}, err
		}
		return aws.Credentials{AccessKeyID: tok, SecretAccessKey: "x",
			CanExpire: true, Expires: expiry}, nil
	})
	cache := aws.NewCredentialsCache(provider, func(o *aws.CredentialsCacheOptions) {
		o.ExpiryWindow = awsExpiryWindow
	})
	get := func(ctx context.Context) (string, error) {
		c, err := cache.Retrieve(ctx)
		if err != nil {
			return "", err
		}
		return c.AccessKeyID, nil
	}
	return get, func() {}, nil
}

// openGoogle is cloud.google.com/go/auth's cached token provider with its
// defaults: asynchronous refresh, 225 s before expiry.
func openGoogle(srv *iamtest.Server, client *http.Client) (tokenFunc, func(), error) {
	tp := auth.NewCachedTokenProvider(googleProvider{iamClient{client, srv.URL}}, nil)
	get := func(ctx context.Context) (string, error) {
		t, err := tp.Token(ctx)
		if err != nil {
			return "", err
		}
		return t.Value, nil
	}
	return get, func() {}, nil
}

// floorToken is the least a cache entry can hold: a token and its expiry in
// Unix nanoseconds by the wall clock.
type floorToken struct {
	value  string
	expiry int64
}

// errExpired is the floor's answer once its one token has expired.
var errExpired = errors.New("benchmarks: floor token expired")

// openFloor fetches one token, then returns a tokenFunc that does only what
// a correct cache cannot avoid on every call: one atomic pointer load, one
// time.Now and one comparison with the stored expiry. It never refreshes.
func openFloor(srv *iamtest.Server, client *http.Client) (tokenFunc, func(), error) {
	tok, expiry, err := iamClient{client, srv.URL}.fetch(context.Background())
	if err != nil {
		return nil, nil, err
	}
	var cur atomic.Pointer[floorToken]
	cur.Store(&floorToken{value: tok, expiry: expiry.UnixNano()})
	get := func(context.Context) (string, error) {
		if t := cur.Load(); t != nil && time.Now().UnixNano() < t.expiry {
			return t.value, nil
		}
		return "", errExpired
	}
	return get, func() {}, nil
}

// oauth2Source is the oauth2.TokenSource that the peers' cache wraps.
type oauth2Source struct{ iam iamClient }

// Token gets a new token from IAM.
func (s oauth2Source) Token() (*oauth2.Token, error) {
	tok, expiry, err := s.iam.fetch(context.Background())
	if err != nil {
		return nil, err
	}
	return &oauth2.Token{AccessToken: tok, TokenType: "Bearer", Expiry: expiry}, nil
}

// googleProvider is the auth.TokenProvider that the google cache wraps.
type googleProvider struct{ iam iamClient }

// Token gets a new token from IAM.
func (p googleProvider) Token(ctx context.Context) (*auth.Token, error) {
	tok, expiry, err := p.iam.fetch(ctx)
	if err != nil {
		return nil, err
	}
	return &auth.Token{Value: tok, Type: "Bearer", Expiry: expiry}, nil
}

// iamClient is what every peer's provider shares to reach the IAM stub.
type iamClient struct {
	client *http.Client
	url    string
}

// fetch exchanges the API key for an access token: one POST of the API key
// form, decoding access_token and expires_in. The expiry counts from the
// moment the reply arrived.
func (c iamClient) fetch(ctx context.Context) (string, time.Time, error) {
	form := url.Values{
		"grant_type": {"urn:ibm:params:oauth:grant-type:apikey"},
		"apikey":     {apiKey},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url,
		strings.NewReader(form.Encode()))
	if err != nil {
		return "", time.Time{}, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := c.client.Do(req)
	if err != nil {
		return "", time.Time{}, err
	}
	defer resp.Body.Close()

	if resp.StatusCode != http.StatusOK {
		return "", time.Time{}, fmt.Errorf("benchmarks: IAM replied %s", resp.Status)
	}
	var body struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return "", time.Time{}, fmt.Errorf("benchmarks: decode IAM reply: %w", err)
	}
	if body.AccessToken == "" || body.ExpiresIn <= 0 {
		return "", time.Time{}, errors.New("benchmarks: IAM reply lacks a token")
	}
	return body.AccessToken, time.Now().Add(time.Duration(body.ExpiresIn) * time.Second), nil
}
