package auth

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzRedactURL: whatever the parts of a database URL, or of a keyword
// connection string, the redacted form never holds the password.
func FuzzRedactURL(f *testing.F) {
	f.Add("drover", "s3cret", "db.internal:5432", "drover", "sslmode=verify-full")
	f.Add("u", "p@ss:w/rd?#", "", "db", "host=/run/postgresql")
	f.Add("", "hunter2", "[::1]:5432", "", "password=hunter2&sslpassword=hunter2")
	f.Add("a b", "it's a \\ secret", "h", "d", "")
	f.Fuzz(func(t *testing.T, user, password, host, db, query string) {
		if len(password) < 4 {
			t.Skip() // short passwords show up in the other parts by chance
		}
		u := (&url.URL{Scheme: "postgres", User: url.UserPassword(user, password), Host: host, Path: "/" + db, RawQuery: query}).String()
		others := user + host + db + query
		escaped := url.UserPassword("", password).String()[1:] // ":" + escaped password
		if got := RedactURL(u); !strings.Contains(others, password) && !strings.Contains(u[strings.Index(u, "@"):], escaped[1:]) &&
			strings.Contains(got, escaped[1:]) {
			t.Errorf("RedactURL(%q) = %q, still holds the password", u, got)
		}
		quoted := "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(password) + "'"
		kv := "host=db dbname=drover password=" + quoted + " sslmode=disable"
		if got := RedactURL(kv); strings.Contains(got, password) && !strings.Contains("host=db dbname=drover sslmode=disable xxxxx", password) {
			t.Errorf("RedactURL(%q) = %q, still holds the password", kv, got)
		}
	})
}
