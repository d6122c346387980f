package linesim

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/gopcua/opcua/server"
)

// Server faults a plant has and a test needs on demand. Durations are real
// time (a network outage does not speed up with the simulation). Production
// goes on during every fault: the parts made meanwhile are in the ground truth.
const (
	FaultOPCUADrop   = "opcua-drop"   // the OPC UA server goes away, then comes back on the same endpoint
	FaultModbusDrop  = "modbus-drop"  // the Modbus TCP server goes away, then comes back on the same port
	FaultModbusStall = "modbus-stall" // the Modbus server accepts requests but answers none until the end
)

type faultState struct {
	ctx        context.Context // the simulator's run context
	mu         sync.Mutex      // guards the server fields of Sim during swaps
	stallUntil time.Time
	closed     bool // the simulator stopped: a fault's end must not restart a server
}

// Fault starts a fault for d of real time and returns at once.
func (s *Sim) Fault(name string, d time.Duration) error {
	s.mu.Lock()
	running := s.started && !s.stopped
	s.mu.Unlock()
	if !running {
		return errors.New("linesim: not running")
	}
	switch name {
	case FaultOPCUADrop:
		s.faults.mu.Lock()
		srv := s.opcSrv
		s.opcSrv = nil
		s.faults.mu.Unlock()
		if srv == nil {
			return errors.New("linesim: the OPC UA server is off or already dropped")
		}
		closeOPCUA(srv)
		s.log.Warn("fault: OPC UA server dropped", "for", d)
		time.AfterFunc(d, func() {
			if s.faultsClosed() {
				return
			}
			if err := s.startOPCUA(s.faults.ctx); err != nil {
				s.log.Error("fault: OPC UA server did not come back", "err", err)
				return
			}
			s.log.Info("fault over: OPC UA server back", "endpoint", s.opcURL)
		})
	case FaultModbusDrop:
		s.faults.mu.Lock()
		srv := s.modbusSrv
		s.modbusSrv = nil
		s.faults.mu.Unlock()
		if srv == nil {
			return errors.New("linesim: the Modbus server is off or already dropped")
		}
		_ = srv.Stop()
		s.log.Warn("fault: Modbus server dropped", "for", d)
		time.AfterFunc(d, func() {
			if s.faultsClosed() {
				return
			}
			if err := s.startModbus(); err != nil {
				s.log.Error("fault: Modbus server did not come back", "err", err)
				return
			}
			s.log.Info("fault over: Modbus server back", "addr", s.modbusAddr)
		})
	case FaultModbusStall:
		s.faults.mu.Lock()
		s.faults.stallUntil = time.Now().Add(d)
		s.faults.mu.Unlock()
		s.log.Warn("fault: Modbus responses stalled", "for", d)
	default:
		return fmt.Errorf("linesim: unknown fault %q (one of %s, %s, %s; power-cycle and breakdown take ?line=)", name, FaultOPCUADrop, FaultModbusDrop, FaultModbusStall)
	}
	return nil
}

// stallModbus holds a Modbus request while a stall fault lasts.
func (s *Sim) stallModbus() {
	s.faults.mu.Lock()
	until := s.faults.stallUntil
	s.faults.mu.Unlock()
	if d := time.Until(until); d > 0 {
		time.Sleep(d)
	}
}

func (s *Sim) faultsClosed() bool {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	return s.faults.closed
}

func (s *Sim) opcServer() *server.Server {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	return s.opcSrv
}

// closeOPCUA closes a gopcua server without waiting the up to 10 s its
// Close spends on channel goroutines.
func closeOPCUA(srv *server.Server) {
	done := make(chan struct{})
	go func() {
		_ = srv.Close()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(500 * time.Millisecond):
	}
}
