package api

import (
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
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
