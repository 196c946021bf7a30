package httpx

import (
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestParseProblem(t *testing.T) {
	tests := []struct {
		name        string
		contentType string
		challenge   string
		body        string
		want        Problem
	}{
		{"RFC 6749", "application/json", "", `{"error":"invalid_grant","error_description":"expired","error_uri":"https://e/x"}`,
			Problem{Kind: JSONBody, Code: "invalid_grant", Message: "expired", URI: "https://e/x"}},
		{"error object", "application/json", "", `{"error":{"code":403,"status":"PERMISSION_DENIED","message":"no"}}`,
			Problem{Kind: JSONBody, Code: "403", Message: "no"}},
		{"FastAPI code", "application/json", "", `{"detail":"LOGIN_BAD_CREDENTIALS"}`,
			Problem{Kind: JSONBody, Code: "LOGIN_BAD_CREDENTIALS"}},
		{"FastAPI sentence", "application/json", "", `{"detail":"Not authenticated"}`,
			Problem{Kind: JSONBody, Message: "Not authenticated"}},
		{"FastAPI validation", "application/json", "", `{"detail":[{"loc":["body","email"],"msg":"field required"}]}`,
			Problem{Kind: JSONBody, Message: "body.email: field required"}},
		{"message code", "application/json", "", `{"message":"token-expired"}`,
			Problem{Kind: JSONBody, Code: "token-expired"}},
		{"problem document", "application/problem+json", "", `{"title":"Out of credit","status":403}`,
			Problem{Kind: JSONBody, Message: "Out of credit"}},
		{"seed 002: text labelled HTML, with a realm", "text/html; charset=utf-8", `Basic realm="Password incorrect"`, "Verification failed",
			Problem{Kind: TextBody, Message: "Verification failed", Challenges: []Challenge{{"Basic", map[string]string{"realm": "Password incorrect"}}}}},
		{"a real HTML page", "text/html", "", "<html><head><title>502 Bad Gateway</title></head></html>",
			Problem{Kind: HTMLBody, Message: "HTML page: 502 Bad Gateway"}},
		{"oidc-provider's error page", "text/html; charset=utf-8", "", "<!DOCTYPE html><html><head><title>oops! something went wrong</title></head><body><div>" +
			"<h1>oops! something went wrong</h1><pre><strong>error</strong>: invalid_redirect_uri</pre>" +
			"<pre><strong>error_description</strong>: redirect_uri did not match any of the client&#39;s registered redirect_uris</pre>" +
			"<pre><strong>iss</strong>: http://127.0.0.1:35453</pre></div></body></html>",
			Problem{Kind: HTMLBody, Code: "invalid_redirect_uri", Message: "redirect_uri did not match any of the client's registered redirect_uris"}},
		{"an HTML page whose error line is a sentence", "text/html", "", "<html><title>Oops</title><p>error: something broke here</p></html>",
			Problem{Kind: HTMLBody, Message: "HTML page: Oops"}},
		{"form-encoded error", "text/plain", "", "error=bad_verification_code&error_description=The+code+is+wrong",
			Problem{Kind: FormBody, Code: "bad_verification_code", Message: "The code is wrong", Fields: []string{"error", "error_description"}}},
		{"form-encoded tokens", "application/x-www-form-urlencoded", "", "access_token=AT-secret&refresh_token=RT-secret&token_type=bearer",
			Problem{Kind: FormBody, Fields: []string{"access_token", "refresh_token", "token_type"}}},
		{"challenge fills an empty body", "", `Basic realm="x", Bearer error="invalid_token", error_description="The token expired"`, "",
			Problem{Kind: EmptyBody, Code: "invalid_token", Message: "The token expired", Challenges: []Challenge{
				{"Basic", map[string]string{"realm": "x"}}, {"Bearer", map[string]string{"error": "invalid_token", "error_description": "The token expired"}}}}},
		{"plain text", "text/plain", "", "Service down\nmore", Problem{Kind: TextBody, Message: "Service down"}},
		{"broken JSON", "application/json", "", `{"error":`, Problem{Kind: JSONBody, Message: `{"error":`}},
	}
	for _, tt := range tests {
		h := http.Header{}
		if tt.contentType != "" {
			h.Set("Content-Type", tt.contentType)
		}
		if tt.challenge != "" {
			h.Set("WWW-Authenticate", tt.challenge)
		}
		if got := ParseProblem(h, []byte(tt.body)); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: ParseProblem(%q) = %+v; want %+v", tt.name, tt.body, got, tt.want)
		}
	}
}

func TestProblemDescribe(t *testing.T) {
	tests := map[string]string{
		"":                               "an empty body",
		"<html><title>Oops</title>":      "an HTML page (Oops)",
		"<html>":                         "an HTML page",
		"hello there":                    "text (hello there)",
		"access_token=a&refresh_token=b": "a form-encoded body with fields access_token, refresh_token",
		`{"access_token":"a"}`:           "JSON",
	}
	for body, want := range tests {
		if got := ParseProblem(http.Header{}, []byte(body)).Describe(); got != want {
			t.Errorf("Describe(%q) = %q; want %q", body, got, want)
		}
		if strings.Contains(ParseProblem(http.Header{}, []byte(body)).Describe(), "=a") {
			t.Errorf("Describe(%q) shows a value", body)
		}
	}
}

func FuzzParseProblem(f *testing.F) {
	for _, s := range []string{
		`{"error":"invalid_grant","error_description":"x"}`, `{"detail":"LOGIN_BAD_CREDENTIALS"}`,
		`{"detail":[{"loc":["body",1],"msg":"m"}]}`, `{"error":{"code":5,"message":"m"}}`,
		`<html><title>t</title>`, "text\nmore", `{"message":["not","a","string"]}`, `[1,2]`, "a=b&c=d",
	} {
		f.Add(s, "application/json")
	}
	f.Fuzz(func(t *testing.T, body, contentType string) {
		p := ParseProblem(http.Header{"Content-Type": {contentType}}, []byte(body))
		for name, v := range map[string]string{"Code": p.Code, "Message": p.Message, "URI": p.URI} {
			if len(v) > MaxMessage+len(htmlTitled)+len("…") {
				t.Errorf("%s is %d bytes; want at most about %d", name, len(v), MaxMessage)
			}
			if strings.ContainsAny(v, "\r\n\x00") {
				t.Errorf("%s has control characters: %q", name, v)
			}
		}
	})
}

func TestLabelledSecretsInAnyShape(t *testing.T) {
	const v = "s3cr3t/tok+en=="
	bodies := []string{
		"access_token: " + v + "\ntoken_type: bearer",
		`cb({"access_token":"` + v + `"})`,
		`<html><title>{"refresh_token": "` + v + `"}</title></html>`,
		`{"data":{"accessToken":"` + v + `","expiresIn":3600}`,
		`{"msg":"{\"api_key\":\"` + v + `\"}"}`,
		"the password = '" + v + "' was refused",
	}
	for _, b := range bodies {
		if got := LabelledSecrets(http.Header{}, []byte(b)); !slices.Contains(got, v) {
			t.Errorf("LabelledSecrets(%q) = %q; want it to hold %q", b, got, v)
		}
	}
	for _, b := range []string{`{"error":"invalid_grant","code":"expired-token","token_type":"bearer"}`, "the token expired: log in again"} {
		if got := LabelledSecrets(http.Header{}, []byte(b)); len(got) != 0 {
			t.Errorf("LabelledSecrets(%q) = %q; want none", b, got)
		}
	}
}
