package app

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDemoWallScreenBehindTLSProxy: a newcomer's demo shows the dashboard
// on a wall screen through the demo kiosk address, with nothing else
// readable by it; with tls.behind_proxy the cookie is Secure and HSTS is
// sent.
func TestDemoWallScreenBehindTLSProxy(t *testing.T) {
	a := startApp(t, func(c *Config) { c.TLS.BehindProxy = true })
	base := "http://" + a.HTTPAddr()
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := noFollow.Get(base + DemoKioskPath)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/" || res.Header.Get("Strict-Transport-Security") == "" {
		t.Fatalf("kiosk address: %d %v", res.StatusCode, res.Header)
	}
	var kiosk *http.Cookie
	for _, c := range res.Cookies() {
		if c.Name == "lw_kiosk" {
			kiosk = c
		}
	}
	if kiosk == nil || !kiosk.Secure || !kiosk.HttpOnly {
		t.Fatalf("kiosk cookie %+v", kiosk)
	}
	get := func(path string) int {
		req, _ := http.NewRequest("GET", base+path, nil)
		req.AddCookie(&http.Cookie{Name: kiosk.Name, Value: kiosk.Value})
		res, err := noFollow.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	for path, want := range map[string]int{"/": 200, "/api/v1/lines": 200, "/api/v1/orders": 401, "/api/v1/users": 401} {
		if got := get(path); got != want {
			t.Errorf("wall screen GET %s: %d, want %d", path, got, want)
		}
	}
	// Without it, the dashboard needs a sign-in.
	res, err = http.Get(base + "/api/v1/lines")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 401 {
		t.Errorf("anonymous lines: %d", res.StatusCode)
	}
}

func TestTLSConfigValidation(t *testing.T) {
	dir := t.TempDir()
	cert := filepath.Join(dir, "cert.pem")
	if err := os.WriteFile(cert, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		tls  TLSConfig
		want []string
	}{
		{TLSConfig{CertFile: cert}, []string{"tls.key_file: is required with tls.cert_file"}},
		{TLSConfig{KeyFile: filepath.Join(dir, "nope.pem")}, []string{"tls.cert_file: is required", "tls.key_file:"}},
		{TLSConfig{BehindProxy: true}, nil},
	} {
		cfg := DefaultConfig()
		cfg.TLS = tc.tls
		err := cfg.Validate()
		for _, w := range tc.want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("%+v: %v, want %q", tc.tls, err, w)
			}
		}
		if tc.want == nil && err != nil {
			t.Errorf("%+v: %v", tc.tls, err)
		}
	}
}

// TestServesHTTPS: with tls.cert_file and tls.key_file central answers
// over HTTPS only, with HSTS and a Secure session cookie.
func TestServesHTTPS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := selfSigned(t, dir)
	a := startApp(t, func(c *Config) { c.TLS.CertFile, c.TLS.KeyFile = certFile, keyFile })
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	res, err := c.Post("https://"+a.HTTPAddr()+"/api/v1/login", "application/json", strings.NewReader(`{"username":"super","password":"super-demo"}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Strict-Transport-Security") == "" {
		t.Fatalf("login over https: %d %v", res.StatusCode, res.Header)
	}
	for _, ck := range res.Cookies() {
		if ck.Name == "lw_session" && !ck.Secure {
			t.Error("session cookie over https is not Secure")
		}
	}
	if res, err := http.Get("http://" + a.HTTPAddr() + "/healthz"); err == nil {
		res.Body.Close()
		if res.StatusCode == 200 {
			t.Error("plain HTTP answered on the TLS listener")
		}
	}
}

// selfSigned writes a certificate for 127.0.0.1 and its key as PEM.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "central"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

func TestBadgePepperConfig(t *testing.T) {
	dir := t.TempDir()
	short, good := filepath.Join(dir, "short"), filepath.Join(dir, "pepper")
	if err := os.WriteFile(short, []byte("tiny\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(good, []byte("a-pepper-of-enough-bytes\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for file, want := range map[string]string{short: "at least 16 bytes", filepath.Join(dir, "none"): "no such file", good: ""} {
		cfg := DefaultConfig()
		cfg.Security.BadgePepperFile = file
		err := cfg.Validate()
		if want == "" && err != nil || want != "" && (err == nil || !strings.Contains(err.Error(), "security.badge_pepper_file: ") || !strings.Contains(err.Error(), want)) {
			t.Errorf("%s: %v, want %q", file, err, want)
		}
	}
	// Central runs with it, and a badge still signs in at a station.
	a := startApp(t, func(c *Config) { c.Security.BadgePepperFile = good })
	res, err := http.Post("http://"+a.HTTPAddr()+"/api/v1/stations/ST-L1/scan", "application/json", strings.NewReader(`{"code":"B-1001"}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Errorf("demo badge with a pepper: %d", res.StatusCode)
	}
}
