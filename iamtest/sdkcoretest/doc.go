// Package sdkcoretest checks that IBM's own Go client accepts the fake IAM
// endpoint of package iamtest.
//
// Its tests drive go-sdk-core's IamAuthenticator against an
// [github.com/iamtoken/tokenmanager/iamtest.Server], so a difference between
// the fake and what IBM's client expects of real IAM (URL layout, form fields,
// response fields, error bodies) shows up as a failing test.
//
// It is a module of its own so that the tokenmanager module does not depend on
// go-sdk-core. The root module's "go test ./..." skips it; run it with
//
//	cd iamtest/sdkcoretest && go test -race ./...
//
// The package has no code besides this comment.
package sdkcoretest
