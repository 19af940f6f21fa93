package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestParseBodyAndCharFields(t *testing.T) {
	tests := []struct {
		name       string
		giveType   string
		giveBody   string
		wantStatus int // 0: fields are valid
		wantBody   string
		wantValues map[string]string
	}{
		{name: "json", giveType: "application/json", giveBody: `{"username":"alice","password":"s3cret-pw"}`,
			wantValues: map[string]string{"username": "alice", "password": "s3cret-pw"}},
		{name: "json with charset", giveType: "application/json; charset=utf-8", giveBody: `{"username":"a","password":"b"}`,
			wantValues: map[string]string{"username": "a", "password": "b"}},
		{name: "form, last value wins", giveType: "application/x-www-form-urlencoded", giveBody: "username=x&username=alice&password=pw",
			wantValues: map[string]string{"username": "alice", "password": "pw"}},
		{name: "numbers are strings", giveType: "application/json", giveBody: `{"username":123,"password":1.5}`,
			wantValues: map[string]string{"username": "123", "password": "1.5"}},
		{name: "whitespace trimmed", giveType: "application/json", giveBody: `{"username":"  alice\t","password":"pw"}`,
			wantValues: map[string]string{"username": "alice", "password": "pw"}},
		{name: "empty body", giveType: "application/json", giveBody: "",
			wantStatus: 400, wantBody: `{"username":["This field is required."],"password":["This field is required."]}`},
		{name: "missing one", giveType: "application/json", giveBody: `{"username":"alice"}`,
			wantStatus: 400, wantBody: `{"password":["This field is required."]}`},
		{name: "blank and null", giveType: "application/json", giveBody: `{"username":"  ","password":null}`,
			wantStatus: 400, wantBody: `{"username":["This field may not be blank."],"password":["This field may not be null."]}`},
		{name: "not a string", giveType: "application/json", giveBody: `{"username":["a"],"password":true}`,
			wantStatus: 400, wantBody: `{"username":["Not a valid string."],"password":["Not a valid string."]}`},
		{name: "python whitespace trimmed", giveType: "application/json", giveBody: `{"username":"\u001calice\u00a0","password":"\u001f\u001e "}`,
			wantStatus: 400, wantBody: `{"password":["This field may not be blank."]}`},
		{name: "null character", giveType: "application/json", giveBody: `{"username":"a\u0000b","password":"pw"}`,
			wantStatus: 400, wantBody: `{"username":["Null characters are not allowed."]}`},
		{name: "null character in a form", giveType: "application/x-www-form-urlencoded", giveBody: "username=a&password=p%00w",
			wantStatus: 400, wantBody: `{"password":["Null characters are not allowed."]}`},
		{name: "lone surrogates", giveType: "application/json", giveBody: `{"username":"a\ud800b","password":"\u0000\udfff\ud800"}`,
			wantStatus: 400, wantBody: `{"username":["Surrogate characters are not allowed: U+D800."],"password":["Null characters are not allowed.","Surrogate characters are not allowed: U+DFFF."]}`},
		{name: "surrogate pair", giveType: "application/json", giveBody: `{"username":"\ud83d\ude00","password":"\\ud800"}`,
			wantValues: map[string]string{"username": "😀", "password": `\ud800`}},
		{name: "blank before surrogates", giveType: "application/json", giveBody: `{"username":"  ","password":"\udc00"}`,
			wantStatus: 400, wantBody: `{"username":["This field may not be blank."],"password":["Surrogate characters are not allowed: U+DC00."]}`},
		{name: "invalid UTF-8", giveType: "application/json", giveBody: "{\"username\":\"\xff\",\"password\":\"pw\"}",
			wantStatus: 400, wantBody: `{"detail":"JSON parse error - invalid UTF-8 in the request body"}`},
		{name: "null body", giveType: "application/json", giveBody: `null`,
			wantStatus: 400, wantBody: `{"non_field_errors":["No data provided"]}`},
		{name: "top-level string", giveType: "application/json", giveBody: `"alice"`,
			wantStatus: 400, wantBody: `{"non_field_errors":["Invalid data. Expected a dictionary, but got str."]}`},
		{name: "top-level list", giveType: "application/json", giveBody: `[1,2]`,
			wantStatus: 400, wantBody: `{"non_field_errors":["Invalid data. Expected a dictionary, but got list."]}`},
		{name: "unsupported media type", giveType: "text/plain", giveBody: "username=alice",
			wantStatus: 415, wantBody: `{"detail":"Unsupported media type \"text/plain\" in request."}`},
		{name: "no content type", giveType: "", giveBody: "username=alice",
			wantStatus: 415, wantBody: `{"detail":"Unsupported media type \"\" in request."}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/api/token/", strings.NewReader(tt.giveBody))
			if tt.giveType != "" {
				r.Header.Set("Content-Type", tt.giveType)
			}
			data, berr := parseBody(r)
			var values map[string]string
			if berr == nil {
				values, berr = charFields(data, "username", "password")
			}
			if tt.wantStatus == 0 {
				if berr != nil || len(values) != len(tt.wantValues) {
					t.Fatalf("fields = %v, %v; want %v", values, berr, tt.wantValues)
				}
				for k, v := range tt.wantValues {
					if values[k] != v {
						t.Errorf("field %s = %q, want %q", k, values[k], v)
					}
				}
				return
			}
			if berr == nil || berr.status != tt.wantStatus || berr.body != tt.wantBody {
				t.Errorf("error = %+v, want %d %s", berr, tt.wantStatus, tt.wantBody)
			}
		})
	}
}

func TestMalformedJSONIsA400WithDetail(t *testing.T) {
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{"username":`))
	r.Header.Set("Content-Type", "application/json")
	_, berr := parseBody(r)
	if berr == nil || berr.status != 400 || !strings.HasPrefix(berr.body, `{"detail":"JSON parse error - `) {
		t.Errorf("parseBody(malformed) = %+v, want 400 JSON parse error", berr)
	}
}

// FuzzParseBody: any body and content type gives either fields or a
// well-formed DRF error body, never a panic.
func FuzzParseBody(f *testing.F) {
	f.Add("application/json", `{"username":"alice","password":"pw"}`)
	f.Add("application/x-www-form-urlencoded", "username=a&password=b")
	f.Add("multipart/form-data; boundary=X", "--X\r\nContent-Disposition: form-data; name=\"username\"\r\n\r\nalice\r\n--X--\r\n")
	f.Add("application/json", `[{"a":1}]`)
	f.Add("text/plain", "\x00\xff")
	f.Add("application/json", `{"username":"\ud800\u0000","password":"\ud83d\ude00\udc00"}`)
	f.Add("application/json", `null`)
	f.Fuzz(func(t *testing.T, contentType, body string) {
		r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		r.Header.Set("Content-Type", contentType)
		data, berr := parseBody(r)
		if berr == nil {
			_, berr = charFields(data, "username", "password")
		}
		if berr == nil {
			return
		}
		if berr.status < 400 || berr.status > 499 {
			t.Fatalf("status %d for %q %q", berr.status, contentType, body)
		}
		var v map[string]any
		if err := json.Unmarshal([]byte(berr.body), &v); err != nil {
			t.Fatalf("error body %q is not a JSON object: %v", berr.body, err)
		}
	})
}

func TestLoneSurrogate(t *testing.T) {
	tests := []struct {
		giveLiteral string
		want        rune
	}{
		{giveLiteral: `"plain"`, want: 0},
		{giveLiteral: `"\ud800"`, want: 0xD800},
		{giveLiteral: `"\uDBFFx"`, want: 0xDBFF},
		{giveLiteral: `"\udc00"`, want: 0xDC00},
		{giveLiteral: `"\ud83d\ude00"`, want: 0},
		{giveLiteral: `"\ud83d\ude00\ud800"`, want: 0xD800},
		{giveLiteral: `"\ud800\u0041"`, want: 0xD800},
		{giveLiteral: `"\ud800\ud800\udc00"`, want: 0xD800},
		{giveLiteral: `"\\ud800"`, want: 0}, // an escaped backslash, then text
		{giveLiteral: `"\u00e9\"\ud801"`, want: 0xD801},
	}
	for _, tt := range tests {
		t.Run(tt.giveLiteral, func(t *testing.T) {
			if got := loneSurrogate([]byte(tt.giveLiteral)); got != tt.want {
				t.Errorf("loneSurrogate(%s) = %#x, want %#x", tt.giveLiteral, got, tt.want)
			}
		})
	}
}
