package app

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"unicode"
)

// bodyError is a request body DRF's parsers would refuse, with the status
// and body DRF answers.
type bodyError struct {
	status int
	body   string // complete JSON body
}

func (e *bodyError) Error() string { return e.body }

func detailError(status int, detail string) *bodyError {
	return &bodyError{status: status, body: string(appendJSONString([]byte(`{"detail":`), detail)) + "}"}
}

// maxMultipartMemory bounds the multipart form kept in memory; the limits
// layer already bounds the body itself.
const maxMultipartMemory = 1 << 20

// parseBody reads r's body as DRF's default parsers do (JSON, form,
// multipart) into raw field values: string, json.Number, bool, nil, or a
// composite for JSON arrays and objects. An empty body is no fields.
func parseBody(r *http.Request) (map[string]any, *bodyError) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, detailError(http.StatusRequestEntityTooLarge, bodyTooLarge(tooLarge.Limit))
		}
		return nil, detailError(http.StatusBadRequest, "Could not read the request body.")
	}
	if len(body) == 0 {
		return map[string]any{}, nil
	}
	contentType := r.Header.Get("Content-Type")
	mediaType, params, _ := mime.ParseMediaType(contentType)
	switch mediaType {
	case "application/json":
		return parseJSON(body)
	case "application/x-www-form-urlencoded":
		values, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, detailError(http.StatusBadRequest, "Form parse error - "+err.Error())
		}
		return lastValues(values), nil
	case "multipart/form-data":
		form, err := multipart.NewReader(bytes.NewReader(body), params["boundary"]).ReadForm(maxMultipartMemory)
		if err != nil {
			return nil, detailError(http.StatusBadRequest, "Multipart form parse error - "+err.Error())
		}
		defer form.RemoveAll()
		return lastValues(form.Value), nil
	}
	return nil, detailError(http.StatusUnsupportedMediaType, `Unsupported media type "`+contentType+`" in request.`)
}

// lastValues keeps the last value of each field, as Django's QueryDict does.
func lastValues(v map[string][]string) map[string]any {
	out := make(map[string]any, len(v))
	for k, vs := range v {
		if len(vs) > 0 {
			out[k] = vs[len(vs)-1]
		}
	}
	return out
}

func parseJSON(body []byte) (map[string]any, *bodyError) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	err := dec.Decode(&v)
	if err == nil && dec.More() {
		err = errors.New("extra data after the JSON value")
	}
	if err == nil {
		if _, extra := dec.Token(); extra != io.EOF {
			err = errors.New("extra data after the JSON value")
		}
	}
	if err != nil {
		return nil, detailError(http.StatusBadRequest, "JSON parse error - "+err.Error())
	}
	fields, ok := v.(map[string]any)
	if !ok {
		return nil, &bodyError{status: http.StatusBadRequest,
			body: `{"non_field_errors":["Invalid data. Expected a dictionary, but got ` + pythonType(v) + `."]}`}
	}
	return fields, nil
}

// pythonType names a JSON value's type as DRF's message does.
func pythonType(v any) string {
	switch v.(type) {
	case []any:
		return "list"
	case string:
		return "str"
	case bool:
		return "bool"
	case nil:
		return "NoneType"
	case json.Number:
		if strings.ContainsAny(v.(json.Number).String(), ".eE") {
			return "float"
		}
		return "int"
	}
	return "dict"
}

// charFields validates the named fields as DRF CharFields (required, not
// null, a string or a number, not blank once trimmed) and returns their
// values, or the 400 body listing every field's errors in field order.
func charFields(data map[string]any, names ...string) (map[string]string, *bodyError) {
	values := make(map[string]string, len(names))
	var errs []byte
	for _, name := range names {
		msg := ""
		v, present := data[name]
		switch v := v.(type) {
		case string:
			if s := strings.TrimFunc(v, unicode.IsSpace); s != "" {
				values[name] = s
			} else {
				msg = "This field may not be blank."
			}
		case json.Number:
			values[name] = v.String()
		case nil:
			if present {
				msg = "This field may not be null."
			} else {
				msg = "This field is required."
			}
		default:
			msg = "Not a valid string."
		}
		if msg == "" {
			continue
		}
		if errs == nil {
			errs = append(errs, '{')
		} else {
			errs = append(errs, ',')
		}
		errs = appendJSONString(errs, name)
		errs = append(errs, ":["...)
		errs = appendJSONString(errs, msg)
		errs = append(errs, ']')
	}
	if errs != nil {
		return nil, &bodyError{status: http.StatusBadRequest, body: string(append(errs, '}'))}
	}
	return values, nil
}
