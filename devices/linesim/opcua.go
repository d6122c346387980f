package linesim

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/gopcua/opcua/id"
	"github.com/gopcua/opcua/server"
	"github.com/gopcua/opcua/server/attrs"
	"github.com/gopcua/opcua/ua"
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
	srv := server.New(
		server.EndPoint(host, port),
		server.EnableSecurity("None", ua.MessageSecurityModeNone),
		server.EnableAuthMode(ua.UserTokenTypeAnonymous),
		server.ServerName("linesim"),
		server.ProductName("linewise linesim"),
	)
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
