package linesim

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/url"
	"os"
	"time"

	"github.com/gopcua/opcua/id"
	"github.com/gopcua/opcua/server"
	"github.com/gopcua/opcua/server/attrs"
	"github.com/gopcua/opcua/ua"
	"github.com/gopcua/opcua/uapolicy"
	"github.com/gopcua/opcua/uasc"
)

// NamespaceURI is the simulator's OPC UA namespace. It is always the first
// namespace added after the standard one, so its index is 1: node ids are
// ns=1;s=<line>.GoodCount, .RejectCount, .State and .FaultCode.
const NamespaceURI = "urn:linewise:linesim"

func (s *Sim) startOPCUA(ctx context.Context) error {
	host, port := s.cfg.OPCUA.Host, s.cfg.OPCUA.Port
	if port == 0 {
		p, err := freePort(host)
		if err != nil {
			return fmt.Errorf("linesim opcua %s: %w", host, err)
		}
		port = p
	}
	opts := []server.Option{
		server.EndPoint(host, port),
		server.EnableSecurity("None", ua.MessageSecurityModeNone),
		server.EnableAuthMode(ua.UserTokenTypeAnonymous),
		server.ServerName("linesim"),
		server.ProductName("linewise linesim"),
	}
	if len(s.cfg.OPCUA.Security) > 0 {
		cert, key, err := s.opcuaIdentity(host)
		if err != nil {
			return fmt.Errorf("linesim opcua: %w", err)
		}
		opts = append(opts, server.Certificate(cert), server.PrivateKey(key))
		for _, m := range s.cfg.OPCUA.Security {
			opts = append(opts, server.EnableSecurity("Basic256Sha256", ua.MessageSecurityModeFromString(m)))
		}
		if len(s.cfg.OPCUA.Users) > 0 {
			opts = append(opts, server.EnableAuthMode(ua.UserTokenTypeUserName))
		}
	}
	srv := server.New(opts...)
	if len(s.cfg.OPCUA.Users) > 0 {
		// Registered before Start, so gopcua's own handler (which accepts
		// every identity) is not installed.
		srv.RegisterHandler(id.ActivateSessionRequest_Encoding_DefaultBinary, s.activateSession(srv))
	}
	// A node namespace, not server.NewMapNamespace: the map namespace reports
	// zero source timestamps, and ours must say when a value changed.
	ns := server.NewNodeNameSpace(srv, NamespaceURI)
	if ns.ID() != 1 {
		return fmt.Errorf("linesim opcua: namespace %s got index %d, want 1", NamespaceURI, ns.ID())
	}
	root, err := srv.Namespace(0)
	if err != nil {
		return fmt.Errorf("linesim opcua: %w", err)
	}
	objs := ns.Objects()
	root.Objects().AddRef(objs, id.HasComponent, true)

	for _, l := range s.lines {
		l := l
		vars := []struct {
			name string
			val  func(sn snapshot) (any, time.Time)
		}{
			{"GoodCount", func(sn snapshot) (any, time.Time) { return uint32(sn.GoodCounter), sn.goodAt }},
			{"RejectCount", func(sn snapshot) (any, time.Time) { return uint32(sn.RejectCounter), sn.rejectAt }},
			{"State", func(sn snapshot) (any, time.Time) { return sn.StateCode, sn.stateAt }},
			{"FaultCode", func(sn snapshot) (any, time.Time) { return sn.Fault, sn.stateAt }},
			{"Order", func(sn snapshot) (any, time.Time) { return sn.Order, sn.orderAt }},
			{"Product", func(sn snapshot) (any, time.Time) { return sn.Product, sn.orderAt }},
		}
		for _, v := range vars {
			v := v
			name := l.id + "." + v.name
			n := server.NewNode(
				ua.NewStringNodeID(ns.ID(), name),
				map[ua.AttributeID]*ua.DataValue{
					ua.AttributeIDNodeClass:       server.DataValueFromValue(uint32(ua.NodeClassVariable)),
					ua.AttributeIDBrowseName:      server.DataValueFromValue(attrs.BrowseName(name)),
					ua.AttributeIDDisplayName:     server.DataValueFromValue(attrs.DisplayName(name, name)),
					ua.AttributeIDAccessLevel:     server.DataValueFromValue(byte(ua.AccessLevelTypeCurrentRead)),
					ua.AttributeIDUserAccessLevel: server.DataValueFromValue(byte(ua.AccessLevelTypeCurrentRead)),
				},
				nil,
				func() *ua.DataValue {
					val, at := v.val(s.snap(l))
					return &ua.DataValue{
						EncodingMask:    ua.DataValueValue | ua.DataValueSourceTimestamp | ua.DataValueServerTimestamp,
						Value:           ua.MustVariant(val),
						SourceTimestamp: at,
						ServerTimestamp: time.Now(),
					}
				},
			)
			ns.AddNode(n)
			objs.AddRef(n, id.HasComponent, true)
		}
	}
	for i := range s.cfg.BenchTags {
		name := benchName(i)
		n := server.NewNode(
			ua.NewStringNodeID(ns.ID(), name),
			map[ua.AttributeID]*ua.DataValue{
				ua.AttributeIDNodeClass:       server.DataValueFromValue(uint32(ua.NodeClassVariable)),
				ua.AttributeIDBrowseName:      server.DataValueFromValue(attrs.BrowseName(name)),
				ua.AttributeIDDisplayName:     server.DataValueFromValue(attrs.DisplayName(name, name)),
				ua.AttributeIDAccessLevel:     server.DataValueFromValue(byte(ua.AccessLevelTypeCurrentRead)),
				ua.AttributeIDUserAccessLevel: server.DataValueFromValue(byte(ua.AccessLevelTypeCurrentRead)),
			},
			nil,
			func() *ua.DataValue {
				v, at := s.benchValue(i)
				return &ua.DataValue{
					EncodingMask:    ua.DataValueValue | ua.DataValueSourceTimestamp | ua.DataValueServerTimestamp,
					Value:           ua.MustVariant(int32(v)),
					SourceTimestamp: at,
					ServerTimestamp: time.Now(),
				}
			},
		)
		ns.AddNode(n)
		objs.AddRef(n, id.HasComponent, true)
	}
	if err := srv.Start(ctx); err != nil {
		return fmt.Errorf("linesim opcua %s: %w", net.JoinHostPort(host, itoa(port)), err)
	}
	s.faults.mu.Lock()
	s.opcSrv = srv
	s.opcURL = fmt.Sprintf("opc.tcp://%s", net.JoinHostPort(host, itoa(port)))
	s.cfg.OPCUA.Port = port // a restart after a fault serves the same endpoint
	s.faults.mu.Unlock()
	return nil
}

// notifyOPCUA tells gopcua's subscription service about changed values. It
// runs apart from production because gopcua's ChangeNotification can block
// on a slow subscriber.
func (s *Sim) notifyOPCUA(ctx context.Context) {
	last := make([]snapshot, len(s.lines))
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.opcWake:
		}
		for i, l := range s.lines {
			sn := s.snap(l)
			changed := map[string]bool{
				"GoodCount":   sn.GoodCounter != last[i].GoodCounter,
				"RejectCount": sn.RejectCounter != last[i].RejectCounter,
				"State":       sn.StateCode != last[i].StateCode,
				"FaultCode":   sn.Fault != last[i].Fault,
				"Order":       sn.Order != last[i].Order,
				"Product":     sn.Product != last[i].Product,
			}
			last[i] = sn
			for name, ch := range changed {
				if ch && ctx.Err() == nil {
					if srv := s.opcServer(); srv != nil {
						srv.ChangeNotification(ua.NewStringNodeID(1, l.id+"."+name))
					}
				}
			}
		}
	}
}

// benchName is the browse name of bench value i: ns=1;s=Bench.T0000 ...
func benchName(i int) string { return fmt.Sprintf("Bench.T%04d", i) }

// benchPeriod is how often every bench value changes.
const benchPeriod = 100 * time.Millisecond

// benchValue is bench value i: it moves by one every benchPeriod of real
// time (every value, every period, so a load test can count changes), and
// the time it last did.
func (s *Sim) benchValue(i int) (uint16, time.Time) {
	s.mu.Lock()
	start := s.start
	s.mu.Unlock()
	if start.IsZero() {
		return uint16(i), time.Now()
	}
	tick := time.Since(start) / benchPeriod
	return uint16(int(tick) + i), start.Add(tick * benchPeriod)
}

// notifyBench tells the OPC UA subscriptions that every bench value changed,
// once per benchPeriod.
func (s *Sim) notifyBench(ctx context.Context) {
	ids := make([]*ua.NodeID, s.cfg.BenchTags)
	for i := range ids {
		ids[i] = ua.NewStringNodeID(1, benchName(i))
	}
	t := time.NewTicker(benchPeriod)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		srv := s.opcServer()
		if srv == nil {
			continue
		}
		for _, n := range ids {
			if ctx.Err() != nil {
				return
			}
			srv.ChangeNotification(n)
		}
	}
}

// OPCUACertificate is the OPC UA server certificate (DER) when security is
// on, after Start; nil otherwise. Tests and operators put it in a client's
// trust list.
func (s *Sim) OPCUACertificate() []byte {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	return s.opcCert
}

// opcuaIdentity loads the configured server certificate and key, or
// generates a self-signed pair, once: a restart after a fault serves the
// same certificate, as a real server would.
func (s *Sim) opcuaIdentity(host string) ([]byte, *rsa.PrivateKey, error) {
	s.faults.mu.Lock()
	cert, key := s.opcCert, s.opcKey
	s.faults.mu.Unlock()
	if cert != nil {
		return cert, key, nil
	}
	var err error
	if s.cfg.OPCUA.CertFile != "" {
		cert, key, err = loadIdentity(s.cfg.OPCUA.CertFile, s.cfg.OPCUA.KeyFile)
	} else {
		cert, key, err = selfSigned(host)
		if err == nil {
			s.log.Info("opcua: generated a self-signed server certificate (set opcua.cert_file to use your own)",
				"sha1", fmt.Sprintf("%x", sha1.Sum(cert)))
		}
	}
	if err != nil {
		return nil, nil, err
	}
	s.faults.mu.Lock()
	s.opcCert, s.opcKey = cert, key
	s.faults.mu.Unlock()
	return cert, key, nil
}

func loadIdentity(certFile, keyFile string) ([]byte, *rsa.PrivateKey, error) {
	cb, err := os.ReadFile(certFile)
	if err != nil {
		return nil, nil, fmt.Errorf("opcua.cert_file: %w", err)
	}
	if blk, _ := pem.Decode(cb); blk != nil {
		cb = blk.Bytes
	}
	if _, err := x509.ParseCertificate(cb); err != nil {
		return nil, nil, fmt.Errorf("opcua.cert_file %s: %w", certFile, err)
	}
	kb, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, nil, fmt.Errorf("opcua.key_file: %w", err)
	}
	if blk, _ := pem.Decode(kb); blk != nil {
		kb = blk.Bytes
	}
	if k, err := x509.ParsePKCS1PrivateKey(kb); err == nil {
		return cb, k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(kb)
	if err != nil {
		return nil, nil, fmt.Errorf("opcua.key_file %s: not a PKCS#1 or PKCS#8 key: %w", keyFile, err)
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, nil, fmt.Errorf("opcua.key_file %s: key is %T, want RSA", keyFile, k)
	}
	return cb, rk, nil
}

// selfSigned makes a server certificate as OPC UA wants it: RSA 2048, the
// application URI as a URI SAN, the host as DNS or IP SAN.
func selfSigned(host string) ([]byte, *rsa.PrivateKey, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return nil, nil, err
	}
	uri, _ := url.Parse(ApplicationURI)
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "linesim", Organization: []string{"linewise"}},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().AddDate(1, 0, 0),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment |
			x509.KeyUsageDataEncipherment | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
		URIs:                  []*url.URL{uri},
	}
	if ip := net.ParseIP(host); ip != nil {
		tmpl.IPAddresses = []net.IP{ip}
	} else {
		tmpl.DNSNames = []string{host}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	return der, key, nil
}

// ApplicationURI is the URI in the generated server certificate.
const ApplicationURI = "urn:linewise:linesim:server"

// sessionNonceLength is the length of gopcua's server nonces, which a
// client appends to the password it encrypts.
const sessionNonceLength = 32

// activateSession replaces gopcua's ActivateSession, which accepts any
// identity, with one that checks user name and password against
// opcua.users (anonymous stays allowed). Like gopcua's it answers with a
// fresh nonce; unlike it, it does not verify the client's session
// signature (the secure channel already did, with security on): this is a
// test server, not a hardened one.
func (s *Sim) activateSession(srv *server.Server) server.Handler {
	return func(_ *uasc.SecureChannel, r ua.Request, _ uint32) (ua.Response, error) {
		req, ok := r.(*ua.ActivateSessionRequest)
		if !ok {
			return nil, ua.StatusBadRequestTypeInvalid
		}
		if srv.Session(req.RequestHeader) == nil {
			return nil, ua.StatusBadSessionIDInvalid
		}
		if req.UserIdentityToken != nil {
			switch tok := req.UserIdentityToken.Value.(type) {
			case *ua.AnonymousIdentityToken:
			case *ua.UserNameIdentityToken:
				pass, err := s.userPassword(tok)
				want, known := s.cfg.OPCUA.Users[tok.UserName]
				if err != nil || !known || pass != want {
					s.log.Warn("opcua: login refused", "user", tok.UserName, "err", err)
					return nil, ua.StatusBadUserAccessDenied
				}
			default:
				return nil, ua.StatusBadIdentityTokenInvalid
			}
		}
		nonce := make([]byte, sessionNonceLength)
		if _, err := rand.Read(nonce); err != nil {
			return nil, ua.StatusBadInternalError
		}
		return &ua.ActivateSessionResponse{
			ResponseHeader: &ua.ResponseHeader{
				Timestamp:          time.Now(),
				RequestHandle:      req.RequestHeader.RequestHandle,
				ServiceResult:      ua.StatusOK,
				ServiceDiagnostics: &ua.DiagnosticInfo{},
				StringTable:        []string{},
				AdditionalHeader:   ua.NewExtensionObject(nil),
			},
			ServerNonce: nonce,
		}, nil
	}
}

// userPassword decrypts a user token's password: RSA-OAEP with the server
// key over uint32 length, password, server nonce (OPC UA Part 4, 7.41.2.2).
func (s *Sim) userPassword(tok *ua.UserNameIdentityToken) (string, error) {
	if tok.EncryptionAlgorithm == "" {
		return string(tok.Password), nil
	}
	s.faults.mu.Lock()
	key := s.opcKey
	s.faults.mu.Unlock()
	enc, err := uapolicy.Asymmetric(ua.SecurityPolicyURIBasic256Sha256, key, nil)
	if err != nil {
		return "", err
	}
	plain, err := enc.Decrypt(tok.Password)
	if err != nil {
		return "", fmt.Errorf("decrypt password: %w", err)
	}
	if len(plain) < 4 {
		return "", fmt.Errorf("decrypted password too short")
	}
	n := int(binary.LittleEndian.Uint32(plain))
	if n < sessionNonceLength || 4+n > len(plain) {
		return "", fmt.Errorf("decrypted password has a bad length %d", n)
	}
	return string(plain[4 : 4+n-sessionNonceLength]), nil
}
