package worker

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/asn1"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/caddyserver/certmagic"
	"github.com/mholt/acmez/v3/acme"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/drover/drover/internal/proto"
	"github.com/drover/drover/internal/testcert"
)

func TestLoadACMERoots(t *testing.T) {
	dir := t.TempDir()
	certPEM := testcert.New(t, "ca.example").CertPEM
	good, junk := filepath.Join(dir, "good.pem"), filepath.Join(dir, "junk.pem")
	if err := os.WriteFile(good, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(junk, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.pem")
	tests := []struct {
		name      string
		give      string
		wantRoots bool
		wantErr   string
	}{
		{name: "system roots", give: ""},
		{name: "a root", give: good, wantRoots: true},
		{name: "missing", give: missing, wantErr: "open " + missing + ": no such file or directory"},
		{name: "not PEM", give: junk, wantErr: junk + ": no PEM certificate in it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			roots, err := LoadACMERoots(tt.give)
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if gotErr != tt.wantErr || (roots != nil) != tt.wantRoots {
				t.Errorf("LoadACMERoots(%q) = %v, %q; want roots %v, error %q", tt.give, roots != nil, gotErr, tt.wantRoots, tt.wantErr)
			}
		})
	}
}

// addrListener is a listener that is only an address.
type addrListener struct {
	net.Listener
	addr net.Addr
}

func (l addrListener) Addr() net.Addr { return l.addr }

func TestChallengeAddr(t *testing.T) {
	tcp := func(ip string, port int) net.Listener {
		return addrListener{addr: &net.TCPAddr{IP: net.ParseIP(ip), Port: port}}
	}
	unix := addrListener{addr: &net.UnixAddr{Name: "/run/drover.sock", Net: "unix"}}
	tests := []struct {
		name     string
		give     []net.Listener
		wantHost string
		wantPort int
	}{
		{name: "loopback", give: []net.Listener{tcp("127.0.0.1", 8443)}, wantHost: "127.0.0.1", wantPort: 8443},
		{name: "all addresses", give: []net.Listener{tcp("0.0.0.0", 443)}, wantHost: "0.0.0.0", wantPort: 443},
		{name: "IPv6", give: []net.Listener{tcp("::1", 443)}, wantHost: "::1", wantPort: 443},
		{name: "first TCP after unix", give: []net.Listener{unix, tcp("10.0.0.1", 443), tcp("10.0.0.2", 8443)}, wantHost: "10.0.0.1", wantPort: 443},
		{name: "unix only", give: []net.Listener{unix}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			host, port := challengeAddr(tt.give)
			if host != tt.wantHost || port != tt.wantPort {
				t.Errorf("challengeAddr(%s) = %q, %d; want %q, %d", tt.name, host, port, tt.wantHost, tt.wantPort)
			}
		})
	}
}

func TestLoadWatchWaitsForExpectedCertificates(t *testing.T) {
	l := newLoadWatch(zap.NewNop())
	l.expect("a.example")
	l.expect("b.example")
	ctx := context.Background()
	_ = l.onEvent(ctx, "cert_obtained", map[string]any{"sans": []string{"b.example"}}) // not a load
	_ = l.onEvent(ctx, cachedEvent, map[string]any{"sans": []string{"a.example", "other.example"}})
	if got := l.wait(20 * time.Millisecond); !slices.Equal(got, []string{"b.example"}) {
		t.Errorf("wait with b.example not loaded = %v, want [b.example]", got)
	}
	_ = l.onEvent(ctx, cachedEvent, map[string]any{"sans": []string{"b.example"}})
	if got := l.wait(time.Second); got != nil {
		t.Errorf("wait after both loaded = %v, want none", got)
	}
}

// closedPort is a loopback port nothing listens on.
func closedPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// A worker that did not run the order serves what another one stored: the
// certificate, as soon as it reports ready, and the TLS-ALPN-01 answer to
// a validation, from the challenge kept in storage.
func TestAutoTLSServesFromSharedStorage(t *testing.T) {
	const domain = "drover.example"
	ca := "https://127.0.0.1:" + strconv.Itoa(closedPort(t)) + "/dir" // no order can run
	issuerKey := (&certmagic.ACMEIssuer{CA: ca}).IssuerKey()
	issued := testcert.New(t, domain)
	leaf, certPEM, keyPEM := issued.Leaf, issued.CertPEM, issued.KeyPEM
	chal := acme.Challenge{
		Type:             acme.ChallengeTypeTLSALPN01,
		Token:            "token",
		KeyAuthorization: "token.thumbprint",
		Identifier:       acme.Identifier{Type: "dns", Value: domain},
	}
	chalJSON, err := json.Marshal(chal)
	if err != nil {
		t.Fatal(err)
	}
	storage := &certmagic.FileStorage{Path: t.TempDir()}
	for key, value := range map[string][]byte{
		certmagic.StorageKeys.SiteCert(issuerKey, domain):                                            certPEM,
		certmagic.StorageKeys.SitePrivateKey(issuerKey, domain):                                      keyPEM,
		certmagic.StorageKeys.SiteMeta(issuerKey, domain):                                            []byte(`{"sans":["` + domain + `"]}`),
		path.Join("acme", certmagic.StorageKeys.Safe(issuerKey), "challenge_tokens", domain+".json"): chalJSON,
	} {
		if err := storage.Store(context.Background(), key, value); err != nil {
			t.Fatal(err)
		}
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sup, theirs := net.Pipe()
	opts := defaultOptions()
	opts.Slot, opts.Generation, opts.Channel, opts.Listeners, opts.Handler = 1, 1, theirs, []net.Listener{ln}, http.HandlerFunc(hello)
	// As the default settings make it, with --tls-auto.
	opts.AutoTLS = &AutoTLS{Domains: []string{domain}, CA: ca, Challenge: "any", Storage: storage.Path, Wait: 15 * time.Second}
	// Not zaptest: certmagic's background jobs may log after the test.
	core, logs := observer.New(zap.InfoLevel)
	w, err := New(opts, zap.New(core))
	if err != nil {
		t.Fatal(err)
	}
	if n := logs.FilterMessage("certificate loaded").Len(); n != 1 {
		t.Errorf("New returned with %d certificates loaded, want the stored one", n)
	}
	done := make(chan error, 1)
	go func() { done <- w.Run(context.Background()) }()
	next(t, sup, proto.KindReady)

	roots := x509.NewCertPool()
	roots.AddCert(leaf)
	c, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{ServerName: domain, RootCAs: roots, NextProtos: []string{"h2", "http/1.1"}})
	if err != nil {
		t.Fatalf("handshake for %s: %v", domain, err)
	}
	st := c.ConnectionState()
	c.Close()
	if !st.PeerCertificates[0].Equal(leaf) || st.NegotiatedProtocol != "h2" {
		t.Errorf("served serial %s over %q, want the stored serial %s over h2", st.PeerCertificates[0].SerialNumber, st.NegotiatedProtocol, leaf.SerialNumber)
	}

	// The CA's validation: acme-tls/1 alone, answered with a certificate
	// carrying the digest of the key authorization (RFC 8737).
	c, err = tls.Dial("tcp", ln.Addr().String(), &tls.Config{ServerName: domain, NextProtos: []string{"acme-tls/1"}, InsecureSkipVerify: true}) // the challenge certificate is self-signed by design
	if err != nil {
		t.Fatalf("TLS-ALPN-01 handshake: %v", err)
	}
	st = c.ConnectionState()
	c.Close()
	sum := sha256.Sum256([]byte(chal.KeyAuthorization))
	want, err := asn1.Marshal(sum[:])
	if err != nil {
		t.Fatal(err)
	}
	acmeIdentifier := asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 1, 31}
	var got []byte
	for _, ext := range st.PeerCertificates[0].Extensions {
		if ext.Id.Equal(acmeIdentifier) {
			got = ext.Value
		}
	}
	if st.NegotiatedProtocol != "acme-tls/1" || !bytes.Equal(got, want) {
		t.Errorf("validation handshake over %q with acmeIdentifier %x, want acme-tls/1 with %x", st.NegotiatedProtocol, got, want)
	}

	sup.Close()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("worker kept running after its supervisor's channel closed")
	}
}
