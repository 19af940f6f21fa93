package cli

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/drover/drover/internal/config"
	"github.com/drover/drover/internal/statedir"
	"github.com/drover/drover/internal/testcert"
	"github.com/drover/drover/worker"
)

func TestWorkerOptions(t *testing.T) {
	dir := t.TempDir()
	c := testcert.New(t, "drover.example")
	certPEM, keyPEM := c.CertPEM, c.KeyPEM
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.pem")
	def := config.Default()
	// want is the default settings' options, changed by change.
	want := func(change func(*worker.Options)) worker.Options {
		o := worker.Options{
			Chain:            def.Chain(),
			Timeouts:         worker.Timeouts{ReadHeader: 10 * time.Second, Read: 60 * time.Second, Write: 2 * time.Minute, Idle: 5 * time.Second},
			HeartbeatTimeout: 30 * time.Second,
			GracefulTimeout:  30 * time.Second,
		}
		change(&o)
		return o
	}
	tests := []struct {
		name     string
		give     func(*config.Config)
		wantOpts worker.Options
		wantErr  string
	}{
		{name: "defaults", give: func(*config.Config) {}, wantOpts: want(func(*worker.Options) {})},
		{name: "timeouts",
			give: func(c *config.Config) {
				c.Worker.ReadHeaderTimeout, c.Worker.ReadTimeout, c.Worker.WriteTimeout, c.Worker.KeepAlive = time.Second, 2*time.Second, 3*time.Second, 4*time.Second
				c.Server.Timeout, c.Server.GracefulTimeout = 5*time.Second, 6*time.Second
			},
			wantOpts: want(func(o *worker.Options) {
				o.Timeouts = worker.Timeouts{ReadHeader: time.Second, Read: 2 * time.Second, Write: 3 * time.Second, Idle: 4 * time.Second}
				o.HeartbeatTimeout, o.GracefulTimeout = 5*time.Second, 6*time.Second
			})},
		{name: "go class with limits",
			give: func(c *config.Config) {
				c.Worker.MaxConcurrency, c.Worker.MaxRequests, c.Worker.MaxRequestsJitter = 8, 1000, 50
			},
			wantOpts: want(func(o *worker.Options) { o.MaxConcurrency, o.MaxRequests, o.MaxRequestsJitter = 8, 1000, 50 })},
		{name: "guards",
			give: func(c *config.Config) {
				c.Worker.MaxRSS, c.Worker.RequestTimeout = 512<<20, 20*time.Second
				c.Server.MaxRSSHard, c.Server.ShutdownDelay = 1<<30, 5*time.Second // the supervisor's
			},
			wantOpts: want(func(o *worker.Options) { o.MaxRSS, o.RequestTimeout = 512<<20, 20*time.Second })},
		{name: "sync class: one request at a time, no keep-alive",
			give:     func(c *config.Config) { c.Worker.Class = "sync" },
			wantOpts: want(func(o *worker.Options) { o.CloseAfterResponse, o.MaxConcurrency = true, 1 })},
		{name: "keep-alive 0: no keep-alive, as in Gunicorn",
			give:     func(c *config.Config) { c.Worker.KeepAlive = 0 },
			wantOpts: want(func(o *worker.Options) { o.CloseAfterResponse, o.Timeouts.Idle = true, 0 })},
		{name: "timeout 0: heartbeats once a second, never judged",
			give:     func(c *config.Config) { c.Server.Timeout = 0 },
			wantOpts: want(func(o *worker.Options) { o.HeartbeatTimeout = 0 })},
		{name: "proxy protocol",
			give:     func(c *config.Config) { c.Proxy.Protocol = true },
			wantOpts: want(func(o *worker.Options) { o.ProxyProtocol = true })},
		{name: "certificate from the supervisor's bytes",
			give: func(c *config.Config) {
				c.TLS.CertFile, c.TLS.KeyFile = missing, missing // as a worker that cannot read them
				c.TLS.CertPEM, c.TLS.KeyPEM = certPEM, config.Secret(keyPEM)
			},
			wantOpts: want(func(o *worker.Options) { o.Certificate = &cert })},
		{name: "unreadable certificate", give: func(c *config.Config) { c.TLS.CertFile, c.TLS.KeyFile = missing, missing },
			wantErr: "invalid certfile: open " + missing + ": no such file or directory"},
		{name: "tls-auto",
			give: func(c *config.Config) {
				c.TLS.AutoDomains, c.TLS.AutoEmail, c.TLS.AutoChallenge = []string{"a.example", "b.example"}, "ops@a.example", "tls-alpn-01"
				c.Auth.StateDir, c.Server.BootTimeout = dir, 10*time.Second
			},
			wantOpts: want(func(o *worker.Options) {
				o.AutoTLS = &worker.AutoTLS{Domains: []string{"a.example", "b.example"}, CA: config.LetsEncrypt, Email: "ops@a.example",
					Challenge: "tls-alpn-01", Storage: statedir.Dir(dir).ACME(), Wait: 5 * time.Second}
			})},
		{name: "tls-auto-ca-root without tls-auto is not read", give: func(c *config.Config) { c.TLS.AutoCARoot = missing },
			wantOpts: want(func(*worker.Options) {})},
		{name: "unreadable tls-auto-ca-root",
			give:    func(c *config.Config) { c.TLS.AutoDomains, c.TLS.AutoCARoot = []string{"a.example"}, missing },
			wantErr: "invalid tls-auto-ca-root: open " + missing + ": no such file or directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := config.Default()
			tt.give(&c)
			got, err := workerOptions(c)
			if errLine(err) != tt.wantErr || !reflect.DeepEqual(got, tt.wantOpts) {
				t.Errorf("workerOptions(%s) = %+v, %v;\nwant %+v, %q", tt.name, got, err, tt.wantOpts, tt.wantErr)
			}
		})
	}
}

// TestWorkerOptionsACMERoots: the --tls-auto-ca-root roots reach the
// worker, and a file without a certificate names the setting.
func TestWorkerOptionsACMERoots(t *testing.T) {
	dir := t.TempDir()
	certPEM := testcert.New(t, "ca.example").CertPEM
	good, junk := filepath.Join(dir, "ca.pem"), filepath.Join(dir, "junk.pem")
	if err := os.WriteFile(good, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(junk, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(certPEM)
	ca, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	wantRoots := x509.NewCertPool()
	wantRoots.AddCert(ca)

	c := config.Default()
	c.TLS.AutoDomains, c.TLS.AutoCARoot = []string{"a.example"}, good
	o, err := workerOptions(c)
	if err != nil || o.AutoTLS == nil || !o.AutoTLS.Roots.Equal(wantRoots) {
		t.Errorf("workerOptions(tls-auto-ca-root %s) = %+v, %v; want AutoTLS trusting its certificate", good, o.AutoTLS, err)
	}
	c.TLS.AutoCARoot = junk
	want := "invalid tls-auto-ca-root: " + junk + ": no PEM certificate in it"
	if _, err := workerOptions(c); errLine(err) != want {
		t.Errorf("workerOptions(tls-auto-ca-root %s) = %v, want %q", junk, err, want)
	}
}
