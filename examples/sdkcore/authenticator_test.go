package sdkcore_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/IBM/go-sdk-core/v5/core"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamtoken/tokenmanager"
	"github.com/iamtoken/tokenmanager/examples/sdkcore"
	"github.com/iamtoken/tokenmanager/iamtest"
)

const apiKey = "sdkcore-test-key"

// A stubAPI answers GET /v1/things/{id} for bearer tokens its IAM issued
// and 401 otherwise, or to the first reject calls whatever their token.
type stubAPI struct {
	*httptest.Server
	iam    *iamtest.Server
	reject atomic.Int64

	// mu guards tokens, the bearer token of each call in order.
	mu     sync.Mutex
	tokens []string
}

func newStubAPI(t *testing.T, iam *iamtest.Server) *stubAPI {
	a := &stubAPI{iam: iam}
	a.Server = httptest.NewServer(http.HandlerFunc(a.serve))
	t.Cleanup(a.Close)
	return a
}

func (a *stubAPI) serve(w http.ResponseWriter, r *http.Request) {
	tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	a.mu.Lock()
	a.tokens = append(a.tokens, tok)
	a.mu.Unlock()

	w.Header().Set("Content-Type", "application/json")
	if a.reject.Add(-1) >= 0 || !a.iam.Valid(tok) {
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"errors":[{"code":"not_authorized","message":"bad token"}]}`)
		return
	}
	id, ok := strings.CutPrefix(r.URL.Path, "/v1/things/")
	if r.Method != http.MethodGet || !ok {
		http.NotFound(w, r)
		return
	}
	fmt.Fprintf(w, `{"id":%q,"name":"gopher"}`, id)
}

func (a *stubAPI) seen() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.tokens...)
}

// A fixture is a fake IAM that accepts only apiKey, a stub API, and a
// BaseService for the API whose authenticator's manager holds some key.
type fixture struct {
	iam     *iamtest.Server
	api     *stubAPI
	service *core.BaseService
	m       *tokenmanager.Manager
}

func setup(t *testing.T, key string) fixture {
	t.Helper()
	iam := iamtest.NewServer(iamtest.WithAPIKeys(apiKey))
	t.Cleanup(iam.Close)
	api := newStubAPI(t, iam)
	m, err := tokenmanager.New(key, tokenmanager.WithAuthURL(iam.URL))
	require.NoError(t, err)
	t.Cleanup(func() { m.Close() })

	service, err := core.NewBaseService(&core.ServiceOptions{
		URL:           api.URL,
		Authenticator: sdkcore.NewAuthenticator(m),
	})
	require.NoError(t, err)
	return fixture{iam, api, service, m}
}

// getThing sends GET /v1/things/{id} through service, as a generated SDK
// method does.
func getThing(service *core.BaseService, id string) (map[string]any, error) {
	builder := core.NewRequestBuilder(core.GET).WithContext(context.Background())
	_, err := builder.ResolveRequestURL(service.GetServiceURL(), "/v1/things/{id}",
		map[string]string{"id": id})
	if err != nil {
		return nil, err
	}
	builder.AddHeader("Accept", "application/json")
	req, err := builder.Build()
	if err != nil {
		return nil, err
	}
	var result map[string]any
	_, err = service.Request(req, &result)
	return result, err
}

func TestBaseServiceRequest(t *testing.T) {
	t.Parallel()
	f := setup(t, apiKey)

	for _, id := range []string{"1", "2", "3"} {
		got, err := getThing(f.service, id)
		require.NoError(t, err)
		assert.Equal(t, map[string]any{"id": id, "name": "gopher"}, got)
	}
	seen := f.api.seen()
	require.Len(t, seen, 3)
	assert.True(t, f.iam.Valid(seen[0]))
	assert.Equal(t, []string{seen[0], seen[0], seen[0]}, seen, "token not reused")
	assert.Equal(t, 1, f.iam.Requests())
}

func TestRejectedKey(t *testing.T) {
	t.Parallel()
	f := setup(t, "a-wrong-key")

	_, err := getThing(f.service, "1")
	var iamErr *tokenmanager.IAMError
	require.ErrorAs(t, err, &iamErr, "BaseService.Request lost the error chain")
	assert.Equal(t, iamtest.CodeAPIKeyNotFound, iamErr.Code)
	assert.Contains(t, err.Error(), iamtest.CodeAPIKeyNotFound)
	assert.NotContains(t, err.Error(), "a-wrong-key")
	assert.Empty(t, f.api.seen(), "API called without a token")
}

func TestAuthenticateErrorIsMatchable(t *testing.T) {
	t.Parallel()
	iam := iamtest.NewServer(iamtest.WithAPIKeys(apiKey))
	defer iam.Close()
	m, err := tokenmanager.New("a-wrong-key", tokenmanager.WithAuthURL(iam.URL))
	require.NoError(t, err)
	defer m.Close()
	req := httptest.NewRequest(http.MethodGet, "http://127.0.0.1/", nil)

	err = sdkcore.NewAuthenticator(m).Authenticate(req)
	var iamErr *tokenmanager.IAMError
	require.ErrorAs(t, err, &iamErr)
	assert.Equal(t, iamtest.CodeAPIKeyNotFound, iamErr.Code)
	assert.Empty(t, req.Header.Get("Authorization"))
}

func TestUnauthorizedWithoutTransport(t *testing.T) {
	t.Parallel()
	f := setup(t, apiKey)
	f.api.reject.Store(1)

	_, err := getThing(f.service, "1")
	require.Error(t, err, "the authenticator alone cannot see a 401")
	assert.Len(t, f.api.seen(), 1)
}

func TestUnauthorizedRecoveredByTransport(t *testing.T) {
	t.Parallel()
	f := setup(t, apiKey)
	client := f.service.GetHTTPClient()
	client.Transport = f.m.Transport(client.Transport)
	f.api.reject.Store(1)

	got, err := getThing(f.service, "7")
	require.NoError(t, err)
	assert.Equal(t, "7", got["id"])
	seen := f.api.seen()
	require.Len(t, seen, 2)
	assert.NotEqual(t, seen[0], seen[1])
	assert.True(t, f.iam.Valid(seen[1]))
}

func TestValidate(t *testing.T) {
	t.Parallel()
	var zero sdkcore.Authenticator
	for name, auth := range map[string]*sdkcore.Authenticator{
		"nil manager": sdkcore.NewAuthenticator(nil),
		"zero value":  &zero,
		"nil":         nil,
	} {
		assert.Error(t, auth.Validate(), name)
		_, err := core.NewBaseService(&core.ServiceOptions{URL: "http://127.0.0.1",
			Authenticator: auth})
		assert.Error(t, err, name)
	}
	assert.Equal(t, core.AUTHTYPE_IAM, (&zero).AuthenticationType())
}

func TestAuthenticateHonoursRequestContext(t *testing.T) {
	t.Parallel()
	iam := iamtest.NewServer(iamtest.WithLatency(time.Minute))
	defer iam.Close()
	m, err := tokenmanager.New(apiKey, tokenmanager.WithAuthURL(iam.URL))
	require.NoError(t, err)
	defer m.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	req := httptest.NewRequestWithContext(ctx, http.MethodGet, "http://127.0.0.1/", nil)

	err = sdkcore.NewAuthenticator(m).Authenticate(req)
	assert.True(t, errors.Is(err, context.DeadlineExceeded), "Authenticate() = %v", err)
}
