package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/drover/drover/app/internal/drf"
)

// bodyError is a request body DRF's parsers would refuse, with the status
// and body DRF answers.
type bodyError struct {
	status int
	body   string // complete JSON body
}

func (e *bodyError) Error() string { return e.body }

func detailError(status int, detail string) *bodyError {
	return &bodyError{status: status, body: string(drf.AppendString([]byte(`{"detail":`), detail)) + "}"}
}

// maxMultipartMemory bounds the multipart form kept in memory; the limits
// layer already bounds the body itself.
const maxMultipartMemory = 1 << 20

// parseBody reads r's body as DRF's default parsers do (JSON, form,
// multipart) into raw field values: string, json.Number, bool, nil, a
// composite for JSON arrays and objects, or a [surrogateString]. An empty
// body is no fields.
func parseBody(r *http.Request) (map[string]any, *bodyError) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, detailError(http.StatusRequestEntityTooLarge, drf.BodyTooLarge(tooLarge.Limit))
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
	// Python decodes the body as UTF-8 before parsing it; Go would
	// silently replace what is not.
	if !utf8.Valid(body) {
		return nil, detailError(http.StatusBadRequest, "JSON parse error - invalid UTF-8 in the request body")
	}
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
	switch {
	case v == nil:
		// DRF's Serializer.errors for data=None.
		return nil, &bodyError{status: http.StatusBadRequest, body: `{"non_field_errors":["No data provided"]}`}
	case !ok:
		return nil, &bodyError{status: http.StatusBadRequest,
			body: `{"non_field_errors":["Invalid data. Expected a dictionary, but got ` + pythonType(v) + `."]}`}
	}
	markSurrogates(body, fields)
	return fields, nil
}

// surrogateString is a JSON string value that held a lone UTF-16
// surrogate escape ("\ud800"): Go decodes it as U+FFFD where Python keeps
// the surrogate, which DRF's CharField refuses.
type surrogateString struct {
	s     string // as Go decoded it
	first rune   // the first lone surrogate, 0xD800–0xDFFF
}

// markSurrogates replaces the top-level string values of fields that held
// a lone surrogate escape with a surrogateString. Only a body with a
// "\ud…" escape is decoded a second time.
func markSurrogates(body []byte, fields map[string]any) {
	if !bytes.Contains(body, []byte(`\ud`)) && !bytes.Contains(body, []byte(`\uD`)) {
		return
	}
	var raw map[string]json.RawMessage
	if json.Unmarshal(body, &raw) != nil {
		return
	}
	for k, rv := range raw {
		s, ok := fields[k].(string)
		if !ok {
			continue
		}
		if r := loneSurrogate(rv); r != 0 {
			fields[k] = surrogateString{s: s, first: r}
		}
	}
}

// loneSurrogate returns the first \u escape of the JSON string literal lit
// that is a UTF-16 surrogate not part of a high-low pair, or 0. Python's
// json module keeps such an escape as a lone surrogate code point.
func loneSurrogate(lit []byte) rune {
	escape := func(i int) rune { // the \uXXXX at lit[i:], or -1
		if i+6 > len(lit) || lit[i] != '\\' || lit[i+1] != 'u' {
			return -1
		}
		n, err := strconv.ParseUint(string(lit[i+2:i+6]), 16, 16)
		if err != nil {
			return -1
		}
		return rune(n)
	}
	for i := 0; i < len(lit); i++ {
		if lit[i] != '\\' {
			continue
		}
		r := escape(i)
		switch {
		case r < 0:
			i++ // another escape: skip the escaped character
		case 0xD800 <= r && r <= 0xDBFF:
			if low := escape(i + 6); 0xDC00 <= low && low <= 0xDFFF {
				i += 11
				continue
			}
			return r
		case 0xDC00 <= r && r <= 0xDFFF:
			return r
		default:
			i += 5
		}
	}
	return 0
}

// pythonType names a JSON value's type as DRF's message does.
func pythonType(v any) string {
	switch v := v.(type) {
	case []any:
		return "list"
	case string:
		return "str"
	case bool:
		return "bool"
	case nil:
		return "NoneType"
	case json.Number:
		if strings.ContainsAny(v.String(), ".eE") {
			return "float"
		}
		return "int"
	}
	return "dict"
}

// charFields validates the named fields as DRF CharFields (required, not
// null, a string or a number, not blank once trimmed, without NUL or lone
// surrogates) and returns their values, or the 400 body listing every
// field's errors in field order.
func charFields(data map[string]any, names ...string) (map[string]string, *bodyError) {
	fields := make([]CharField, len(names))
	for i, n := range names {
		fields[i] = CharField{Name: n}
	}
	return validate(data, false, fields)
}

// validate runs each field's validation, as a DRF serializer (partial
// for PATCH) does, and returns the values, or the 400 body listing every
// field's errors in field order.
func validate(data map[string]any, partial bool, fields []CharField) (map[string]string, *bodyError) {
	values := make(map[string]string, len(fields))
	var errs []byte
	for _, f := range fields {
		v, present := data[f.Name]
		if !present && (partial || f.Optional) {
			continue
		}
		value, msgs := f.run(v, present)
		if msgs == nil {
			values[f.Name] = value
			continue
		}
		if errs == nil {
			errs = append(errs, '{')
		} else {
			errs = append(errs, ',')
		}
		errs = drf.AppendString(errs, f.Name)
		for i, msg := range msgs {
			if i == 0 {
				errs = append(errs, ":["...)
			} else {
				errs = append(errs, ',')
			}
			errs = drf.AppendString(errs, msg)
		}
		errs = append(errs, ']')
	}
	if errs != nil {
		return nil, &bodyError{status: http.StatusBadRequest, body: string(append(errs, '}'))}
	}
	return values, nil
}

// run is DRF's CharField.run_validation of one raw value: its value, or
// its messages.
func (f CharField) run(v any, present bool) (string, []string) {
	switch v := v.(type) {
	case string:
		return f.chars(v, 0)
	case surrogateString:
		return f.chars(v.s, v.first)
	case json.Number:
		return f.chars(v.String(), 0)
	case nil:
		if present {
			return "", []string{"This field may not be null."}
		}
		return "", []string{"This field is required."}
	}
	return "", []string{"Not a valid string."}
}

// chars is DRF's CharField.run_validation of a string: blank once
// trimmed is refused alone (or is "" with AllowBlank); otherwise the
// trimmed value goes through the validators in DRF's order, each adding
// its message: max_length, NUL characters, then surrogates (the first
// lone surrogate, or 0 for none).
func (f CharField) chars(s string, surrogate rune) (string, []string) {
	s = strings.TrimFunc(s, pythonSpace)
	if s == "" {
		if f.AllowBlank {
			return "", nil
		}
		return "", []string{"This field may not be blank."}
	}
	var msgs []string
	if f.MaxLength > 0 && utf8.RuneCountInString(s) > f.MaxLength {
		msgs = append(msgs, fmt.Sprintf("Ensure this field has no more than %d characters.", f.MaxLength))
	}
	if strings.IndexByte(s, 0) >= 0 {
		msgs = append(msgs, "Null characters are not allowed.")
	}
	if surrogate != 0 {
		msgs = append(msgs, fmt.Sprintf("Surrogate characters are not allowed: U+%X.", surrogate))
	}
	return s, msgs
}

// pythonSpace is Python's str.isspace, which str.strip trims: Go's
// unicode.IsSpace and the four ASCII separators U+001C–U+001F.
func pythonSpace(r rune) bool {
	return unicode.IsSpace(r) || 0x1c <= r && r <= 0x1f
}
