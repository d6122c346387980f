package opcua_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/linewise/linewise/devices"
	"github.com/linewise/linewise/devices/linesim"
	"github.com/linewise/linewise/devices/opcua"
)

// pair is a generated certificate and its key.
type pair struct {
	cert *x509.Certificate
	key  *rsa.PrivateKey
}

// genCert makes an RSA 2048 certificate for OPC UA (application URI as a URI
// SAN, 127.0.0.1 as IP SAN), self-signed when parent is nil.
func genCert(t *testing.T, cn string, parent *pair, isCA bool) pair {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	uri, _ := url.Parse("urn:linewise:test:" + cn)
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment |
			x509.KeyUsageDataEncipherment | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
		IsCA:                  isCA,
		URIs:                  []*url.URL{uri},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	signer, signKey := tmpl, key
	if parent != nil {
		signer, signKey = parent.cert, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signer, &key.PublicKey, signKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return pair{cert: c, key: key}
}

// write stores the certificate (and key, if keyPath is set) under dir, PEM
// or DER; the key as PKCS#8 in PEM, PKCS#1 in DER, to cover both loaders.
func (p pair) write(t *testing.T, certPath, keyPath string, asPEM bool) {
	t.Helper()
	cert := p.cert.Raw
	key := x509.MarshalPKCS1PrivateKey(p.key)
	if asPEM {
		k8, err := x509.MarshalPKCS8PrivateKey(p.key)
		if err != nil {
			t.Fatal(err)
		}
		cert = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert})
		key = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: k8})
	}
	if err := os.MkdirAll(filepath.Dir(certPath), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certPath, cert, 0o644); err != nil {
		t.Fatal(err)
	}
	if keyPath != "" {
		if err := os.WriteFile(keyPath, key, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// startSecureSim starts linesim with Basic256Sha256 Sign and SignAndEncrypt
// endpoints using the given server certificate.
func startSecureSim(t *testing.T, srv pair, dir string) *linesim.Sim {
	t.Helper()
	certFile, keyFile := filepath.Join(dir, "server.pem"), filepath.Join(dir, "server.key")
	srv.write(t, certFile, keyFile, true)
	cfg := linesim.Config{Seed: 1, Speed: 50, HTTP: "127.0.0.1:0",
		OPCUA: linesim.OPCUAConfig{Host: "127.0.0.1", Port: freePort(t),
			Security: []string{"Sign", "SignAndEncrypt"}, CertFile: certFile, KeyFile: keyFile,
			Users: map[string]string{"operator": "secret"}},
		Lines: []linesim.LineConfig{{ID: "L1", IdealCycle: time.Second, ScrapRate: 0.2, CounterBits: 16}}}
	s, err := linesim.New(cfg, quiet)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Stop(context.Background()) })
	return s
}

func TestSecurityAgainstLinesim(t *testing.T) {
	dir := t.TempDir()
	ca := genCert(t, "plant-ca", nil, true)
	server := genCert(t, "linesim", nil, false)
	caIssued := genCert(t, "linesim-ca-issued", &ca, false)
	client := genCert(t, "edge", nil, false)
	stranger := genCert(t, "someone-else", nil, false)

	client.write(t, filepath.Join(dir, "client.pem"), filepath.Join(dir, "client-key.pem"), true)
	client.write(t, filepath.Join(dir, "client.der"), filepath.Join(dir, "client-key.der"), false)
	server.write(t, filepath.Join(dir, "trusted", "linesim.der"), "", false)
	stranger.write(t, filepath.Join(dir, "untrusted", "other.pem"), "", true)
	ca.write(t, filepath.Join(dir, "ca", "plant-ca.crt"), "", true)
	if err := os.WriteFile(filepath.Join(dir, "untrusted", "README.txt"), []byte("not a cert"), 0o644); err != nil {
		t.Fatal(err)
	}

	sim := startSecureSim(t, server, filepath.Join(dir, "sim"))
	simCA := startSecureSim(t, caIssued, filepath.Join(dir, "simca"))

	base := func(sim *linesim.Sim, mode, trusted string) opcua.Config {
		cfg := opcua.NewConfig()
		cfg.Endpoint = sim.OPCUAEndpoint()
		cfg.Timeout = 3 * time.Second
		cfg.SecurityPolicy = "Basic256Sha256"
		cfg.SecurityMode = mode
		cfg.CertFile = filepath.Join(dir, "client.pem")
		cfg.KeyFile = filepath.Join(dir, "client-key.pem")
		cfg.TrustedDir = filepath.Join(dir, trusted)
		cfg.Signals = []opcua.Signal{
			{Name: "good", Node: "ns=1;s=L1.GoodCount"},
			{Name: "state", Node: "ns=1;s=L1.State"},
		}
		return cfg
	}
	der := func(c opcua.Config) opcua.Config {
		c.CertFile, c.KeyFile = filepath.Join(dir, "client.der"), filepath.Join(dir, "client-key.der")
		return c
	}
	insecure := func(c opcua.Config) opcua.Config {
		c.TrustedDir, c.InsecureSkipVerify = "", true
		return c
	}

	for _, tc := range []struct {
		name    string
		cfg     opcua.Config
		trusted bool
	}{
		{"sign, pinned server cert, PEM client cert", base(sim, "Sign", "trusted"), true},
		{"sign and encrypt, DER client cert", der(base(sim, "SignAndEncrypt", "trusted")), true},
		{"server cert issued by a trusted CA", base(simCA, "SignAndEncrypt", "ca"), true},
		{"insecure_skip_verify", insecure(base(sim, "Sign", "untrusted")), true},
		{"untrusted server cert", base(sim, "SignAndEncrypt", "untrusted"), false},
		{"CA-issued cert, only the CA's sibling trusted", base(simCA, "Sign", "trusted"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := opcua.New("press1", tc.cfg, quiet)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			rs, took := poll(d)
			if !tc.trusted {
				for _, r := range rs {
					if r.Quality != devices.Bad || !errors.Is(r.Err, opcua.ErrNotTrusted) ||
						!strings.Contains(r.Err.Error(), "certificate is not trusted") || !strings.Contains(r.Err.Error(), "press1") {
						t.Errorf("%s: %v %v, want Bad with not trusted", r.Signal, r.Quality, r.Err)
					}
				}
				if took > 3*time.Second {
					t.Errorf("refusing took %v", took)
				}
				t.Logf("refused in %v: %v", took, rs[0].Err)
				return
			}
			for _, r := range rs {
				if r.Quality != devices.Good {
					t.Fatalf("%s: %v %v", r.Signal, r.Quality, r.Err)
				}
			}
			time.Sleep(200 * time.Millisecond)
			rs2, _ := poll(d)
			if g1, g2 := rs[0].Value.(int64), rs2[0].Value.(int64); rs2[0].Quality != devices.Good || g2 < g1 {
				t.Errorf("second read: %v %v after %v", rs2[0].Quality, rs2[0].Value, g1)
			}
		})
	}

	// User name and password, checked by linesim: over a signed and
	// encrypted channel and over security None (the password is then
	// encrypted with the server certificate by the user token policy).
	for _, tc := range []struct {
		name, mode, user, pass string
		ok                     bool
	}{
		{"user right, sign and encrypt", "SignAndEncrypt", "operator", "secret", true},
		{"user right, sign", "Sign", "operator", "secret", true},
		{"user right, security none", "", "operator", "secret", true},
		{"wrong password", "SignAndEncrypt", "operator", "wrong", false},
		{"unknown user, security none", "", "intruder", "secret", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := base(sim, tc.mode, "trusted")
			if tc.mode == "" {
				cfg.SecurityPolicy, cfg.CertFile, cfg.KeyFile, cfg.TrustedDir = "", "", "", ""
			}
			cfg.Username, cfg.Password = tc.user, tc.pass
			d, err := opcua.New("press2", cfg, quiet)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			rs, took := poll(d)
			for _, r := range rs {
				if tc.ok && r.Quality != devices.Good {
					t.Fatalf("%s: %v %v", r.Signal, r.Quality, r.Err)
				}
				if !tc.ok && (r.Quality != devices.Bad || r.Err == nil || !strings.Contains(r.Err.Error(), "press2") ||
					!strings.Contains(r.Err.Error(), "UserAccessDenied")) {
					t.Fatalf("%s: %v %v, want Bad naming the device and the refused login", r.Signal, r.Quality, r.Err)
				}
			}
			if took > 4*time.Second {
				t.Errorf("took %v", took)
			}
			if !tc.ok {
				t.Logf("refused in %v: %v", took, rs[0].Err)
			}
		})
	}

	// Subscribe mode over SignAndEncrypt delivers values; untrusted, one Bad
	// reading per signal naming the certificate, promptly.
	t.Run("subscribe sign and encrypt", func(t *testing.T) {
		cfg := base(sim, "SignAndEncrypt", "trusted")
		cfg.Mode, cfg.PollInterval = "subscribe", 100*time.Millisecond
		got := subscribeFirst(t, cfg)
		if got.Quality != devices.Good {
			t.Fatalf("%+v", got)
		}
	})
	t.Run("subscribe untrusted", func(t *testing.T) {
		cfg := base(sim, "SignAndEncrypt", "untrusted")
		cfg.Mode = "subscribe"
		got := subscribeFirst(t, cfg)
		if got.Quality != devices.Bad || !errors.Is(got.Err, opcua.ErrNotTrusted) {
			t.Fatalf("%+v", got)
		}
	})
}

// subscribeFirst starts a subscriber and returns its first reading.
func subscribeFirst(t *testing.T, cfg opcua.Config) devices.Reading {
	t.Helper()
	s, err := opcua.NewSubscriber("press3", cfg, quiet)
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan devices.Reading, 100)
	if err := s.Start(context.Background(), func(r devices.Reading) {
		select {
		case ch <- r:
		default:
		}
	}); err != nil {
		t.Fatal(err)
	}
	defer s.Stop(context.Background())
	select {
	case r := <-ch:
		return r
	case <-time.After(5 * time.Second):
		t.Fatal("no reading within 5s")
	}
	return devices.Reading{}
}

func TestSecurityConfigErrors(t *testing.T) {
	dir := t.TempDir()
	a, b := genCert(t, "a", nil, false), genCert(t, "b", nil, false)
	a.write(t, filepath.Join(dir, "a.pem"), filepath.Join(dir, "a.key"), true)
	b.write(t, filepath.Join(dir, "b.pem"), filepath.Join(dir, "b.key"), true)
	if err := os.WriteFile(filepath.Join(dir, "junk.pem"), []byte("-----BEGIN NOTHING-----\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := func(f func(*opcua.Config)) opcua.Config {
		c := opcua.NewConfig()
		c.Endpoint = "opc.tcp://127.0.0.1:4840"
		c.Signals = []opcua.Signal{{Name: "a", Node: "ns=1;s=x"}}
		f(&c)
		return c
	}
	for _, tc := range []struct {
		name string
		cfg  opcua.Config
		want []string
	}{
		{"unknown policy", cfg(func(c *opcua.Config) { c.SecurityPolicy = "Basic128Rsa15" }),
			[]string{"security_policy: must be None or Basic256Sha256"}},
		{"mode without policy", cfg(func(c *opcua.Config) { c.SecurityMode = "Sign"; c.CertFile = "x" }),
			[]string{"security_mode: Sign needs security_policy: Basic256Sha256", "cert_file: only used with"}},
		{"policy without anything", cfg(func(c *opcua.Config) { c.SecurityPolicy = "Basic256Sha256" }),
			[]string{"security_mode: must be Sign or SignAndEncrypt", "cert_file: required", "key_file: required", "trusted_dir: required"}},
		{"both trust ways", cfg(func(c *opcua.Config) {
			c.SecurityPolicy, c.SecurityMode, c.CertFile, c.KeyFile = "Basic256Sha256", "Sign", "c", "k"
			c.TrustedDir, c.InsecureSkipVerify = dir, true
		}), []string{"insecure_skip_verify: contradicts trusted_dir"}},
		{"missing files", cfg(func(c *opcua.Config) {
			c.SecurityPolicy, c.SecurityMode, c.TrustedDir = "Basic256Sha256", "Sign", filepath.Join(dir, "nope")
			c.CertFile, c.KeyFile = filepath.Join(dir, "none.pem"), filepath.Join(dir, "none.key")
		}), []string{"cert_file: open", "key_file: open", "trusted_dir: stat"}},
		{"key of another cert", cfg(func(c *opcua.Config) {
			c.SecurityPolicy, c.SecurityMode, c.TrustedDir = "Basic256Sha256", "Sign", dir
			c.CertFile, c.KeyFile = filepath.Join(dir, "a.pem"), filepath.Join(dir, "b.key")
		}), []string{"key_file: " + filepath.Join(dir, "b.key") + " does not belong to the certificate"}},
		{"not a certificate", cfg(func(c *opcua.Config) {
			c.SecurityPolicy, c.SecurityMode, c.InsecureSkipVerify = "Basic256Sha256", "Sign", true
			c.CertFile, c.KeyFile = filepath.Join(dir, "junk.pem"), filepath.Join(dir, "a.pem")
		}), []string{"cert_file: ", "key_file: ", "want a private key"}},
		{"trusted_dir is a file", cfg(func(c *opcua.Config) {
			c.SecurityPolicy, c.SecurityMode, c.TrustedDir = "Basic256Sha256", "Sign", filepath.Join(dir, "a.pem")
			c.CertFile, c.KeyFile = filepath.Join(dir, "a.pem"), filepath.Join(dir, "a.key")
		}), []string{"trusted_dir: ", "is not a folder"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := opcua.New("press1", tc.cfg, quiet)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}
