package drivers

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// devices/README.md is the configuration reference: every registered
// driver has a worked example there, and every example opens.
func TestREADMEExamples(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	// The secured OPC UA example reads its certificate and key (relative
	// paths, as an edge config would have them) when it is built.
	t.Chdir(securePKI(t))
	seen := map[string]int{}
	for _, m := range yamlBlock.FindAllSubmatch(readme, -1) {
		var doc yaml.Node
		if err := yaml.Unmarshal(m[1], &doc); err != nil {
			t.Errorf("example does not parse: %v\n%s", err, m[1])
			continue
		}
		node := doc.Content[0]
		var head struct{ Name, Driver string }
		if err := node.Decode(&head); err != nil || head.Driver == "" {
			continue // not a device
		}
		if _, err := Open(head.Driver, head.Name, node, quiet); err != nil {
			t.Errorf("example %s (%s) does not open: %v", head.Name, head.Driver, err)
			continue
		}
		seen[head.Driver]++
	}
	for _, name := range Names() {
		if seen[name] == 0 {
			t.Errorf("devices/README.md has no example for driver %s", name)
		}
	}
}

// securePKI makes a folder with pki/edge.pem, pki/edge.key and
// pki/trusted/, the files the README's secured example names.
func securePKI(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "edge"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "pki", "trusted"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{
		"edge.pem": pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		"edge.key": pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}),
	} {
		if err := os.WriteFile(filepath.Join(dir, "pki", name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
