module github.com/iamtoken/tokenmanager/benchmarks

go 1.26.0

replace github.com/iamtoken/tokenmanager => ..

require (
	cloud.google.com/go/auth v0.24.4 // indirect
	cloud.google.com/go/compute/metadata v0.10.0 // indirect
	github.com/IBM/go-sdk-core/v5 v5.25.4 // indirect
	github.com/aws/aws-sdk-go-v2 v1.48.0 // indirect
	github.com/googleapis/gax-go/v2 v2.27.0 // indirect
	golang.org/x/oauth2 v0.38.0 // indirect
	golang.org/x/sys v0.49.0 // indirect
)
