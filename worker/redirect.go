package worker

import (
	"net"
	"net/http"
	"strconv"
	"strings"
)

// redirectToHTTPS answers the requests that came over plain HTTP (the
// --http-redirect socket, while the others serve HTTPS): an ACME HTTP-01
// challenge when challenge takes it, else a permanent redirect to the same
// host and path over HTTPS on httpsPort. Requests over TLS go to next.
func redirectToHTTPS(next http.Handler, challenge func(http.ResponseWriter, *http.Request) bool, httpsPort int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS != nil {
			next.ServeHTTP(w, r)
			return
		}
		if challenge != nil && challenge(w, r) {
			return
		}
		host := httpsHost(r.Host, httpsPort)
		if host == "" {
			http.Error(w, "Bad Request: the request names no host to redirect to", http.StatusBadRequest)
			return
		}
		// 308 keeps the method and body, where 301 lets clients turn a POST
		// into a GET.
		http.Redirect(w, r, "https://"+host+r.URL.RequestURI(), http.StatusPermanentRedirect)
	})
}

// httpsHost is the authority of the HTTPS URL for a request to hostport:
// its host, with httpsPort unless that is 443. It is empty when hostport
// has no usable host.
func httpsHost(hostport string, httpsPort int) string {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if host == "" || strings.ContainsAny(host, "/\\@ ") {
		return ""
	}
	if httpsPort == 443 || httpsPort == 0 {
		if strings.Contains(host, ":") {
			return "[" + host + "]"
		}
		return host
	}
	return net.JoinHostPort(host, strconv.Itoa(httpsPort))
}

// httpsPort is the port of the first TCP socket served with TLS, the one
// redirects point to; 0 when there is none (systemd's unix sockets).
func httpsPort(served []net.Listener) int {
	for _, l := range served {
		if a, ok := l.Addr().(*net.TCPAddr); ok {
			return a.Port
		}
	}
	return 0
}
