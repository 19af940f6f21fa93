package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestReadFields(t *testing.T) {
	fields := []CharField{{Name: "title", MaxLength: 5}, {Name: "body", Optional: true, AllowBlank: true}}
	tests := []struct {
		name        string
		giveMethod  string
		giveType    string
		giveBody    string
		wantValues  map[string]string
		wantStatus  int
		wantErrBody string
	}{
		{name: "both", giveBody: `{"title":" hi ","body":"text"}`, wantValues: map[string]string{"title": "hi", "body": "text"}},
		{name: "optional absent", giveBody: `{"title":"hi"}`, wantValues: map[string]string{"title": "hi"}},
		{name: "blank allowed", giveBody: `{"title":"hi","body":"  "}`, wantValues: map[string]string{"title": "hi", "body": ""}},
		{name: "number", giveBody: `{"title":12}`, wantValues: map[string]string{"title": "12"}},
		{name: "form", giveType: "application/x-www-form-urlencoded", giveBody: "title=a+b&body=x", wantValues: map[string]string{"title": "a b", "body": "x"}},
		{name: "required", giveBody: `{}`, wantStatus: 400, wantErrBody: `{"title":["This field is required."]}`},
		{name: "empty body", giveBody: ``, wantStatus: 400, wantErrBody: `{"title":["This field is required."]}`},
		{name: "blank", giveBody: `{"title":"   "}`, wantStatus: 400, wantErrBody: `{"title":["This field may not be blank."]}`},
		{name: "null", giveBody: `{"title":null}`, wantStatus: 400, wantErrBody: `{"title":["This field may not be null."]}`},
		{name: "not a string", giveBody: `{"title":true}`, wantStatus: 400, wantErrBody: `{"title":["Not a valid string."]}`},
		{name: "too long, in characters", giveBody: `{"title":"ééééééé"}`, wantStatus: 400, wantErrBody: `{"title":["Ensure this field has no more than 5 characters."]}`},
		{name: "five characters of two bytes", giveBody: `{"title":"ééééé"}`, wantValues: map[string]string{"title": "ééééé"}},
		{name: "too long and NUL, in DRF's order", giveBody: `{"title":"abcdef\u0000"}`, wantStatus: 400,
			wantErrBody: `{"title":["Ensure this field has no more than 5 characters.","Null characters are not allowed."]}`},
		{name: "every field's errors in field order", giveBody: `{"body":[],"title":null}`, wantStatus: 400,
			wantErrBody: `{"title":["This field may not be null."],"body":["Not a valid string."]}`},
		{name: "partial: nothing required", giveMethod: http.MethodPatch, giveBody: `{}`, wantValues: map[string]string{}},
		{name: "partial: present fields validated", giveMethod: http.MethodPatch, giveBody: `{"title":""}`, wantStatus: 400, wantErrBody: `{"title":["This field may not be blank."]}`},
		{name: "malformed JSON", giveBody: `{"title":`, wantStatus: 400, wantErrBody: `{"detail":"JSON parse error - unexpected EOF"}`},
		{name: "not an object", giveBody: `["title"]`, wantStatus: 400, wantErrBody: `{"non_field_errors":["Invalid data. Expected a dictionary, but got list."]}`},
		{name: "unsupported type", giveType: "text/plain", giveBody: "title", wantStatus: 415, wantErrBody: `{"detail":"Unsupported media type \"text/plain\" in request."}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method := tt.giveMethod
			if method == "" {
				method = http.MethodPost
			}
			r := httptest.NewRequest(method, "/notes/", strings.NewReader(tt.giveBody))
			ct := tt.giveType
			if ct == "" {
				ct = "application/json"
			}
			r.Header.Set("Content-Type", ct)
			rec := httptest.NewRecorder()
			values, ok := ReadFields(rec, r, method == http.MethodPatch, fields...)
			if tt.wantErrBody == "" {
				if !ok || !reflect.DeepEqual(values, tt.wantValues) || rec.Body.Len() != 0 {
					t.Fatalf("ReadFields = %v, %t (answered %d %s), want %v", values, ok, rec.Code, rec.Body, tt.wantValues)
				}
				return
			}
			if ok || rec.Code != tt.wantStatus || rec.Body.String() != tt.wantErrBody {
				t.Fatalf("ReadFields answered %d %s (ok %t), want %d %s", rec.Code, rec.Body, ok, tt.wantStatus, tt.wantErrBody)
			}
			if got := rec.Header().Get("Content-Type"); got != "application/json" {
				t.Errorf("Content-Type = %q", got)
			}
		})
	}
}

func TestWriteJSON(t *testing.T) {
	rec := httptest.NewRecorder()
	if err := WriteJSON(rec, http.StatusCreated, map[string]any{"title": "<b>é</b>\u2028", "id": 7}); err != nil {
		t.Fatal(err)
	}
	if got, want := rec.Body.String(), `{"id":7,"title":"<b>é</b>\u2028"}`; rec.Code != 201 || got != want {
		t.Errorf("WriteJSON = %d %s, want 201 %s", rec.Code, got, want)
	}
	if got := rec.Header().Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type = %q", got)
	}
	rec = httptest.NewRecorder()
	if err := WriteJSON(rec, http.StatusOK, func() {}); err == nil || rec.Body.Len() != 0 || len(rec.Header()) != 0 {
		t.Errorf("WriteJSON(func) = %v, wrote %q", err, rec.Body)
	}
}

// FuzzReadFields feeds request bodies of each media type to ReadFields:
// it never panics, refuses only with a 4xx JSON answer, and accepts only
// values DRF would store (trimmed, not blank, at most MaxLength
// characters, no NUL).
func FuzzReadFields(f *testing.F) {
	for _, seed := range []struct{ contentType, body string }{
		{"application/json", `{"title":"a","body":"b"}`},
		{"application/json", `{"title":"  ","body":null}`},
		{"application/json", `{"title":1e3,"body":[1]}`},
		{"application/json", `[{"title":"x"}]`},
		{"application/json", `{"title":"\u0000\ud800"}`},
		{"application/json", `{"title": "x"`},
		{"application/json; charset=utf-8", "{\"title\":\"\xff\"}"},
		{"application/x-www-form-urlencoded", "title=a&title=b&body=%zz"},
		{"multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nt\r\n--x--\r\n"},
		{"text/plain", "title=x"},
	} {
		f.Add(seed.contentType, seed.body, false)
		f.Add(seed.contentType, seed.body, true)
	}
	fields := []CharField{{Name: "title", MaxLength: 10}, {Name: "body", Optional: true, AllowBlank: true}}
	f.Fuzz(func(t *testing.T, contentType, body string, partial bool) {
		r := httptest.NewRequest(http.MethodPost, "/notes/", strings.NewReader(body))
		r.Header.Set("Content-Type", contentType)
		rec := httptest.NewRecorder()
		values, ok := ReadFields(rec, r, partial, fields...)
		if !ok {
			if rec.Code < 400 || rec.Code > 499 || !json.Valid(rec.Body.Bytes()) {
				t.Errorf("ReadFields(%q, %q) refused with %d %q, want a 4xx JSON body", contentType, body, rec.Code, rec.Body)
			}
			return
		}
		title, has := values["title"]
		switch {
		case !has && !partial:
			t.Errorf("ReadFields(%q, %q) = %q: no title on a full write", contentType, body, values)
		case has && (title == "" || utf8.RuneCountInString(title) > 10 || strings.ContainsRune(title, 0) || strings.TrimFunc(title, pythonSpace) != title):
			t.Errorf("ReadFields(%q, %q): title %q, which DRF would refuse or trim", contentType, body, title)
		}
	})
}
