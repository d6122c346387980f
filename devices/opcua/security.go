package opcua

import (
	"bytes"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gopcua/opcua/ua"
	"github.com/linewise/linewise/devices/configerr"
)

// ErrNotTrusted is the cause in every reading's Err when the server's
// certificate is neither in trusted_dir nor issued by a CA found there.
var ErrNotTrusted = errors.New("server certificate is not trusted")

// Security policies and modes the driver speaks. Basic256Sha256 is the
// policy every current server offers; the older Basic128Rsa15 and Basic256
// are deprecated by the OPC Foundation and deliberately not accepted.
const (
	policyNone           = "None"
	policyBasic256Sha256 = "Basic256Sha256"
	modeNone             = "None"
	modeSign             = "Sign"
	modeSignAndEncrypt   = "SignAndEncrypt"
)

// secured says whether the channel is signed (and maybe encrypted).
func (c Config) secured() bool { return c.SecurityPolicy == policyBasic256Sha256 }

func (c Config) policyURI() string {
	if c.secured() {
		return ua.SecurityPolicyURIBasic256Sha256
	}
	return ua.SecurityPolicyURINone
}

func (c Config) messageMode() ua.MessageSecurityMode {
	if !c.secured() {
		return ua.MessageSecurityModeNone
	}
	return ua.MessageSecurityModeFromString(c.SecurityMode)
}

// validateSecurity checks the security keys against each other; it reads no
// file (loadSecurity does, when the driver is built).
func (c Config) validateSecurity() []error {
	var errs []error
	switch c.SecurityPolicy {
	case "", policyNone:
		if c.SecurityMode != "" && c.SecurityMode != modeNone {
			errs = append(errs, configerr.Field("security_mode", "%s needs security_policy: %s (security_policy is None)", c.SecurityMode, policyBasic256Sha256))
		}
		for _, k := range []struct {
			key string
			set bool
		}{{"cert_file", c.CertFile != ""}, {"key_file", c.KeyFile != ""},
			{"trusted_dir", c.TrustedDir != ""}, {"insecure_skip_verify", c.InsecureSkipVerify}} {
			if k.set {
				errs = append(errs, configerr.Field(k.key, "only used with security_policy: %s (security_policy is None)", policyBasic256Sha256))
			}
		}
		return errs
	case policyBasic256Sha256:
	default:
		return []error{configerr.Field("security_policy", "must be None or %s, got %q", policyBasic256Sha256, c.SecurityPolicy)}
	}
	if c.SecurityMode != modeSign && c.SecurityMode != modeSignAndEncrypt {
		errs = append(errs, configerr.Field("security_mode", "must be Sign or SignAndEncrypt with security_policy %s, got %q", policyBasic256Sha256, c.SecurityMode))
	}
	if c.CertFile == "" {
		errs = append(errs, configerr.Field("cert_file", "required with security_policy %s (the client certificate, PEM or DER)", policyBasic256Sha256))
	}
	if c.KeyFile == "" {
		errs = append(errs, configerr.Field("key_file", "required with security_policy %s (the client's RSA private key, PEM or DER)", policyBasic256Sha256))
	}
	switch {
	case c.TrustedDir == "" && !c.InsecureSkipVerify:
		errs = append(errs, configerr.Field("trusted_dir", "required with security_policy %s: a folder with the server certificates to trust (or insecure_skip_verify: true to trust any)", policyBasic256Sha256))
	case c.TrustedDir != "" && c.InsecureSkipVerify:
		errs = append(errs, configerr.Field("insecure_skip_verify", "contradicts trusted_dir: set one of them"))
	}
	return errs
}

// credentials are the client certificate and key of a secured device.
type credentials struct {
	cert []byte // DER, leaf first (a PEM chain is concatenated, as gopcua sends it)
	key  *rsa.PrivateKey
}

// loadSecurity reads cert_file and key_file, checks they belong together
// and that trusted_dir is a folder. Errors name the key.
func loadSecurity(c Config) (*credentials, error) {
	if !c.secured() {
		return nil, nil
	}
	var errs []error
	cert, err := readCertificates(c.CertFile)
	if err != nil {
		errs = append(errs, configerr.Field("cert_file", "%v", err))
	}
	key, err := readPrivateKey(c.KeyFile)
	if err != nil {
		errs = append(errs, configerr.Field("key_file", "%v", err))
	}
	if cert != nil && key != nil {
		if pub, ok := cert[0].PublicKey.(*rsa.PublicKey); !ok {
			errs = append(errs, configerr.Field("cert_file", "%s: certificate key is %T, OPC UA needs RSA", c.CertFile, cert[0].PublicKey))
		} else if !pub.Equal(&key.PublicKey) {
			errs = append(errs, configerr.Field("key_file", "%s does not belong to the certificate in cert_file %s", c.KeyFile, c.CertFile))
		}
	}
	if c.TrustedDir != "" {
		if st, err := os.Stat(c.TrustedDir); err != nil {
			errs = append(errs, configerr.Field("trusted_dir", "%v", err))
		} else if !st.IsDir() {
			errs = append(errs, configerr.Field("trusted_dir", "%s is not a folder", c.TrustedDir))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	var der []byte
	for _, x := range cert {
		der = append(der, x.Raw...)
	}
	return &credentials{cert: der, key: key}, nil
}

// readCertificates reads one certificate or a chain, PEM or DER.
func readCertificates(path string) ([]*x509.Certificate, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return parseCertificates(path, b)
}

func parseCertificates(path string, b []byte) ([]*x509.Certificate, error) {
	der := b
	if bytes.Contains(b, []byte("-----BEGIN")) {
		der = nil
		for rest := b; ; {
			var blk *pem.Block
			blk, rest = pem.Decode(rest)
			if blk == nil {
				break
			}
			if blk.Type == "CERTIFICATE" {
				der = append(der, blk.Bytes...)
			}
		}
		if der == nil {
			return nil, fmt.Errorf("%s: no CERTIFICATE block in the PEM file", path)
		}
	}
	certs, err := x509.ParseCertificates(der)
	if err != nil {
		return nil, fmt.Errorf("%s: not a PEM or DER certificate: %w", path, err)
	}
	if len(certs) == 0 {
		return nil, fmt.Errorf("%s: no certificate", path)
	}
	return certs, nil
}

// readPrivateKey reads an RSA key, PKCS#1 or PKCS#8, PEM or DER.
func readPrivateKey(path string) (*rsa.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	der := b
	if blk, _ := pem.Decode(b); blk != nil {
		if !strings.Contains(blk.Type, "PRIVATE KEY") {
			return nil, fmt.Errorf("%s: PEM block is %q, want a private key", path, blk.Type)
		}
		der = blk.Bytes
	}
	if k, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("%s: not a PKCS#1 or PKCS#8 private key (PEM or DER)", path)
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%s: key is %T, OPC UA needs RSA", path, k)
	}
	return rk, nil
}

// verifyServer decides whether to talk to the server whose endpoint carries
// cert (DER, leaf first, maybe followed by its chain). gopcua checks only
// that the server owns the key of the certificate it is handed, not whom
// the certificate belongs to; this is that check. A server is trusted when
// its certificate is in trusted_dir (pinned: expiry is not checked, as for a
// self-signed device certificate an operator copied there), or when it
// chains to a CA certificate in trusted_dir and is valid now. The folder is
// read on every connect, so dropping a certificate in needs no restart.
func verifyServer(c Config, cert []byte) error {
	if c.InsecureSkipVerify {
		return nil
	}
	if len(cert) == 0 {
		return fmt.Errorf("%w: the endpoint carries no server certificate", ErrNotTrusted)
	}
	chain, err := x509.ParseCertificates(cert)
	if err != nil || len(chain) == 0 {
		return fmt.Errorf("%w: unreadable server certificate: %v", ErrNotTrusted, err)
	}
	leaf := chain[0]
	trusted, problems := readTrustList(c.TrustedDir)
	roots, inter := x509.NewCertPool(), x509.NewCertPool()
	for _, t := range trusted {
		if bytes.Equal(t.Raw, leaf.Raw) {
			return nil
		}
		if t.IsCA {
			roots.AddCert(t)
		}
	}
	for _, x := range chain[1:] {
		inter.AddCert(x)
	}
	_, verr := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}, CurrentTime: time.Now()})
	if verr == nil {
		return nil
	}
	var unreadable string
	if len(problems) > 0 {
		unreadable = " (unreadable there: " + strings.Join(problems, "; ") + ")"
	}
	return fmt.Errorf("%w: %q (SHA-1 thumbprint %x) is not in trusted_dir %s nor issued by a CA there%s; copy the server certificate into that folder to trust it",
		ErrNotTrusted, leaf.Subject.CommonName, sha1.Sum(leaf.Raw), c.TrustedDir, unreadable)
}

// readTrustList reads every certificate file in dir; files that are not
// certificates are reported, not fatal (a README in the folder is fine).
func readTrustList(dir string) ([]*x509.Certificate, []string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, []string{err.Error()}
	}
	var out []*x509.Certificate
	var problems []string
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		switch strings.ToLower(filepath.Ext(e.Name())) {
		case ".der", ".pem", ".crt", ".cer":
		default:
			continue
		}
		certs, err := readCertificates(filepath.Join(dir, e.Name()))
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		out = append(out, certs...)
	}
	return out, problems
}
