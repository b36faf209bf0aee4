// Package benchmarks compares the cached path of tokenmanager with the token
// caches a Go service would otherwise pick, in one run on one machine.
//
// Every implementation gets the same workload: one fake IAM
// (github.com/iamtoken/tokenmanager/iamtest) on loopback, a token already
// cached, and then the cost of "give me the current token string":
//
//   - ours: tokenmanager.Manager.Token
//   - gosdkcore: github.com/IBM/go-sdk-core/v5 IamAuthenticator.GetToken
//   - oauth2: golang.org/x/oauth2 ReuseTokenSource, then AccessToken
//   - aws: github.com/aws/aws-sdk-go-v2/aws CredentialsCache.Retrieve,
//     holding the token as its access key ID
//   - google: cloud.google.com/go/auth NewCachedTokenProvider, then Value
//   - floor: what a correct cache cannot avoid, one atomic pointer load,
//     one time.Now and one comparison with the stored expiry
//
// The peers reach IAM through one shared fetch that posts the API key form
// and decodes access_token and expires_in, so they differ only in how they
// cache. BenchmarkCached calls from one goroutine, BenchmarkCachedParallel
// from b.RunParallel. The tests report, for each cache, how many IAM
// requests a cold herd of 2,000 goroutines makes, and whether callers wait
// for IAM while the cache refreshes.
//
// This is its own module, so the library never depends on the peers. Run
// from this directory:
//
//	go test -run '^$' -bench . -count 6 -cpu 1,2 . | tee peers.txt | go run ./cmd/benchtable
//	go test -count=1 -v -run 'ColdHerd|RefreshWindow' .
//
// cmd/benchtable turns benchmark output into one markdown table of medians
// and ratios; compare two runs with benchstat from golang.org/x/perf.
package benchmarks
