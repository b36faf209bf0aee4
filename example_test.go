package tokenmanager_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/iamtoken/tokenmanager"
	"github.com/iamtoken/tokenmanager/iamtest"
)

func ExampleNew() {
	iam := iamtest.NewServer() // stands in for IBM Cloud IAM
	defer iam.Close()

	m, err := tokenmanager.New("my-api-key", tokenmanager.WithAuthURL(iam.URL))
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()

	tok, err := m.Token(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	req, _ := http.NewRequest("GET", "https://api.example.com/v1/things", nil)
	req.Header.Set("Authorization", "Bearer "+tok)

	fmt.Println("token valid:", iam.Valid(tok))
	// Output: token valid: true
}

func ExampleManager_Token() {
	iam := iamtest.NewServer()
	defer iam.Close()
	m, _ := tokenmanager.New("my-api-key", tokenmanager.WithAuthURL(iam.URL))
	defer m.Close()

	// Every call gets the cached token; only the first one waits for IAM.
	for range 1000 {
		if _, err := m.Token(context.Background()); err != nil {
			log.Fatal(err)
		}
	}
	fmt.Println("IAM requests:", iam.Requests())
	// Output: IAM requests: 1
}

func ExampleManager_Transport() {
	iam := iamtest.NewServer()
	defer iam.Close()
	m, _ := tokenmanager.New("my-api-key", tokenmanager.WithAuthURL(iam.URL))
	defer m.Close()

	// An API that accepts only tokens the fake IAM issued.
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !iam.Valid(tok) {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, "hello, authorized caller")
	}))
	defer api.Close()

	client := &http.Client{Transport: m.Transport(nil)}
	resp, err := client.Get(api.URL)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, string(body))
	// Output: 200 hello, authorized caller
}

func ExampleManager_Invalidate() {
	iam := iamtest.NewServer()
	defer iam.Close()
	m, _ := tokenmanager.New("my-api-key", tokenmanager.WithAuthURL(iam.URL))
	defer m.Close()

	old, _ := m.Token(context.Background())
	m.Invalidate(old) // an API answered 401 Unauthorized to it
	fresh, _ := m.Token(context.Background())

	fmt.Println("new token:", fresh != old, "IAM requests:", iam.Requests())
	// Output: new token: true IAM requests: 2
}

func ExampleIAMError() {
	iam := iamtest.NewServer(iamtest.WithAPIKeys("the-right-key"))
	defer iam.Close()
	m, _ := tokenmanager.New("a-wrong-key", tokenmanager.WithAuthURL(iam.URL))
	defer m.Close()

	_, err := m.Token(context.Background())
	var iamErr *tokenmanager.IAMError
	if errors.As(err, &iamErr) {
		fmt.Println(iamErr.StatusCode, iamErr.Code, iamErr.Temporary())
	}
	// Output: 400 BXNIM0415E false
}
