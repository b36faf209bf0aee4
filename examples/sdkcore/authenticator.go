// Package sdkcore lets IBM Cloud Go SDKs, which are built on
// github.com/IBM/go-sdk-core/v5, take their IAM tokens from a
// [tokenmanager.Manager]. Every service given the same manager then shares
// one cached token, its background refresh, and its retry and cooldown
// rules.
//
// Pass an [Authenticator] wherever go-sdk-core wants a core.Authenticator,
// in place of a core.IamAuthenticator:
//
//	m, err := tokenmanager.New(apiKey) // IAM URL from IBM_AUTH_URL
//	if err != nil { … }
//	defer m.Close()
//	service, err := core.NewBaseService(&core.ServiceOptions{
//		URL:           serviceURL,
//		Authenticator: sdkcore.NewAuthenticator(m),
//	})
//
// Generated SDK services take it the same way, through the Authenticator
// field of their options struct.
//
// go-sdk-core shows an authenticator the request but never the response, so
// an Authenticator cannot notice an API rejecting its token with 401. To
// recover from that as well, wrap the service's HTTP transport with the
// manager's, which invalidates the token and replays the request once:
//
//	client := service.GetHTTPClient()
//	client.Transport = m.Transport(client.Transport)
//
// This is a module of its own so that the tokenmanager module does not
// depend on go-sdk-core. Run its tests with
//
//	cd examples/sdkcore && go test -race ./...
package sdkcore

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/IBM/go-sdk-core/v5/core"

	"github.com/iamtoken/tokenmanager"
)

var _ core.Authenticator = (*Authenticator)(nil)

// component names this package in go-sdk-core's problem reports.
var component = core.NewProblemComponent("github.com/iamtoken/tokenmanager/examples/sdkcore", "")

// errNoManager is returned by an Authenticator that has no manager.
var errNoManager = errors.New("sdkcore: authenticator has no token manager")

// An Authenticator is a go-sdk-core core.Authenticator that authorizes
// each request with the access token of a [tokenmanager.Manager]. Make one
// with [NewAuthenticator]; the zero value fails validation. It is safe for
// concurrent use and holds nothing to close: the caller closes the manager.
type Authenticator struct {
	m *tokenmanager.Manager
}

// NewAuthenticator returns an Authenticator backed by m. m stays the
// caller's to close, once no service uses it any more.
func NewAuthenticator(m *tokenmanager.Manager) *Authenticator {
	return &Authenticator{m: m}
}

// AuthenticationType returns core.AUTHTYPE_IAM, since the tokens are IAM
// access tokens, as those of core.IamAuthenticator are.
func (a *Authenticator) AuthenticationType() string {
	return core.AUTHTYPE_IAM
}

// Validate reports whether a has a manager. go-sdk-core calls it when a
// service is built.
func (a *Authenticator) Validate() error {
	if a == nil || a.m == nil {
		return errNoManager
	}
	return nil
}

// Authenticate sets req's Authorization header to the manager's token. It
// waits for a token no longer than req's context allows.
//
// Its error is a go-sdk-core *core.SDKProblem wrapping the manager's error:
// go-sdk-core's BaseService.Request keeps the chain of such an error, but
// only the text of a plain one, so errors.As still finds a
// [tokenmanager.IAMError] in the error a service call returns.
func (a *Authenticator) Authenticate(req *http.Request) error {
	if err := a.Validate(); err != nil {
		return err
	}
	tok, err := a.m.Token(req.Context())
	if err != nil {
		err = fmt.Errorf("sdkcore: authenticate request: %w", err)
		return core.SDKErrorf(err, "", "token-manager", component)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	return nil
}
