package main

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// FuzzReadFields feeds request bodies of each media type to the parser
// and the validation: it must never panic, must refuse with one of its
// two error types, and must accept only a title DRF would store.
func FuzzReadFields(f *testing.F) {
	for _, seed := range []struct{ contentType, body string }{
		{"application/json", `{"title":"a","body":"b"}`},
		{"application/json", `{"title":"  ","body":null}`},
		{"application/json", `{"title":1e3,"body":[1]}`},
		{"application/json", `[{"title":"x"}]`},
		{"application/json", `{"title":"\u0000"}`},
		{"application/json", `{"title": "x"`},
		{"application/json; charset=utf-8", "{\"title\":\"\xff\"}"},
		{"application/x-www-form-urlencoded", "title=a&title=b&body=%zz"},
		{"multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nt\r\n--x--\r\n"},
		{"text/plain", "title=x"},
		{"", `{"title":"x"}`},
	} {
		f.Add(seed.contentType, seed.body, false)
		f.Add(seed.contentType, seed.body, true)
	}
	f.Fuzz(func(t *testing.T, contentType, body string, partial bool) {
		r := httptest.NewRequest(http.MethodPost, "/notes/", strings.NewReader(body))
		if contentType != "" {
			r.Header.Set("Content-Type", contentType)
		}
		values, err := readFields(r, partial)
		var re *requestError
		var ve validationError
		switch {
		case errors.As(err, &re):
			if re.status < 400 || re.status > 499 {
				t.Errorf("readFields(%q, %q): status %d, want a 4xx", contentType, body, re.status)
			}
			return
		case errors.As(err, &ve):
			if len(ve) == 0 {
				t.Errorf("readFields(%q, %q): a validation error without fields", contentType, body)
			}
			return
		case err != nil:
			t.Fatalf("readFields(%q, %q): error %v of another type", contentType, body, err)
		}
		title, ok := values["title"]
		switch {
		case !ok && !partial:
			t.Errorf("readFields(%q, %q) = %q: no title on a full write", contentType, body, values)
		case ok && (title == "" || utf8.RuneCountInString(title) > maxTitleLen || strings.ContainsRune(title, 0) ||
			strings.TrimFunc(title, unicode.IsSpace) != title):
			t.Errorf("readFields(%q, %q): title %q, which DRF would refuse or trim", contentType, body, title)
		}
	})
}
