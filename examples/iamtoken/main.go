// Command iamtoken prints an IBM Cloud IAM access token, for shell use:
//
//	curl -H "Authorization: Bearer $(iamtoken)" \
//	    "$WATSONX_URL/ml/v4/deployments?version=2023-05-29"
//
// The API key never comes from a flag, since flags show in process lists and
// shell history. The rule is: with -stdin, the key is the first line of
// standard input; without it, the key is WATSONX_APIKEY, else
// IBMCLOUD_API_KEY. For example:
//
//	export IBM_AUTH_URL=https://iam.cloud.ibm.com/identity/token
//	WATSONX_APIKEY=... go run ./examples/iamtoken
//	pass show ibm/apikey | go run ./examples/iamtoken -stdin -json
//
// Flags:
//
//	-json      print {"access_token": ..., "expiry": <RFC 3339 time>}
//	-stdin     read the API key from standard input
//	-url URL   the IAM token URL (default: $IBM_AUTH_URL)
//	-timeout   how long to wait for IAM (default 30s)
//
// The exit status is 0 on success, 1 when IAM or the network fails, and 2
// for a usage error such as a missing key or IAM URL. Errors go to standard
// error and never show the key.
package main

import (
	"context"
	"os"
	"os/signal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
