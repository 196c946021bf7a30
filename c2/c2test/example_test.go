package c2test_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/bearer-go/bearer/c2/c2test"
)

// Rotating a token through Charon kills the old one at once.
func Example() {
	fake := c2test.New(c2test.Options{})
	srv := httptest.NewServer(fake)
	defer srv.Close()
	old := fake.IssueToken()

	req, _ := http.NewRequest(http.MethodPut, srv.URL+c2test.TokensPathPrefix+old, nil)
	req.Header.Set("Authorization", "Bearer "+old)
	resp, err := srv.Client().Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	var out struct {
		Payload string `json:"payload"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("rotation:", resp.Status)
	fmt.Println("old token valid:", fake.Valid(old))
	fmt.Println("new token valid:", fake.Valid(out.Payload))
	// Output:
	// rotation: 200 OK
	// old token valid: false
	// new token valid: true
}

// A rotation whose answer is lost: the server applied it, the client saw a
// transport error, and the token the client holds is already dead.
func ExampleServer_InjectFault() {
	fake := c2test.New(c2test.Options{})
	srv := httptest.NewServer(fake)
	defer srv.Close()
	old := fake.IssueToken()
	fake.InjectFault(c2test.Fault{Method: http.MethodPut, Path: c2test.TokensPathPrefix,
		DropAfterApply: true, Count: 1})

	req, _ := http.NewRequest(http.MethodPut, srv.URL+c2test.TokensPathPrefix+old, nil)
	req.Header.Set("Authorization", "Bearer "+old)
	resp, err := srv.Client().Do(req)
	if err == nil {
		resp.Body.Close()
	}
	_, rotated := fake.Successor(old)
	fmt.Println("transport error:", err != nil)
	fmt.Println("rotated on the server:", rotated)
	fmt.Println("old token valid:", fake.Valid(old))
	// Output:
	// transport error: true
	// rotated on the server: true
	// old token valid: false
}
