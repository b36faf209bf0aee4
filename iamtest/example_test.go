package iamtest_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	"github.com/iamtoken/tokenmanager/iamtest"
)

// apiKeyForm is the form that exchanges an API key for an access token.
func apiKeyForm(apiKey string) url.Values {
	return url.Values{
		"grant_type": {"urn:ibm:params:oauth:grant-type:apikey"},
		"apikey":     {apiKey},
	}
}

func ExampleNewServer() {
	srv := iamtest.NewServer(iamtest.WithAPIKeys("my-api-key"))
	defer srv.Close()

	resp, err := http.PostForm(srv.URL, apiKeyForm("my-api-key"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	var body struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.Status)
	fmt.Println(body.TokenType, body.ExpiresIn)
	fmt.Println("valid:", srv.Valid(body.AccessToken))
	// Output:
	// 200 OK
	// Bearer 3600
	// valid: true
}

func ExampleServer_Enqueue() {
	srv := iamtest.NewServer()
	defer srv.Close()

	srv.Enqueue(
		iamtest.Reply{Status: http.StatusServiceUnavailable, RetryAfter: "1"},
		iamtest.Reply{Status: http.StatusTooManyRequests, Code: "BXNIM0999E"},
	)
	for range 3 {
		resp, err := http.PostForm(srv.URL, apiKeyForm("any-key"))
		if err != nil {
			fmt.Println(err)
			return
		}
		resp.Body.Close()
		fmt.Println(resp.Status)
	}
	fmt.Println("requests:", srv.Requests(), "issued:", srv.Issued())
	// Output:
	// 503 Service Unavailable
	// 429 Too Many Requests
	// 200 OK
	// requests: 3 issued: 1
}
