package linesim

import (
	"fmt"
	"io"
	"log"
	"net"
	"strconv"

	mbserver "github.com/simonvetter/modbus"
)

// Register map, per line i at base 100*i, identical in the holding and the
// input register tables:
//
//	+0 good counter (low 16 bits)   +1 reject counter (low 16 bits)
//	+2 state enum                   +3 fault code
//	+4/+5 good counter as uint32, high word first
//	+6/+7 reject counter as uint32, high word first
//	+8 good counter's overflow count   +9 reject counter's overflow count
//	   (how often each counter rolled over; a power cycle clears them)
const (
	regStride = 100
	regCount  = 10
)

func (s *Sim) startModbus() error {
	host, port, err := net.SplitHostPort(s.cfg.Modbus.Address)
	if err != nil {
		return fmt.Errorf("linesim modbus %s: %w", s.cfg.Modbus.Address, err)
	}
	if port == "0" {
		p, err := freePort(host)
		if err != nil {
			return fmt.Errorf("linesim modbus %s: %w", s.cfg.Modbus.Address, err)
		}
		port = strconv.Itoa(p)
	}
	addr := net.JoinHostPort(host, port)
	srv, err := mbserver.NewServer(&mbserver.ServerConfiguration{
		URL:        "tcp://" + addr,
		MaxClients: 32,
		Logger:     log.New(io.Discard, "", 0),
	}, &modbusHandler{s: s})
	if err != nil {
		return fmt.Errorf("linesim modbus %s: %w", addr, err)
	}
	if err := srv.Start(); err != nil {
		return fmt.Errorf("linesim modbus %s: %w", addr, err)
	}
	s.faults.mu.Lock()
	s.modbusSrv, s.modbusAddr = srv, addr
	s.cfg.Modbus.Address = addr // a restart after a fault serves the same port
	s.faults.mu.Unlock()
	return nil
}

type modbusHandler struct{ s *Sim }

func (h *modbusHandler) HandleCoils(*mbserver.CoilsRequest) ([]bool, error) {
	return nil, mbserver.ErrIllegalFunction
}

func (h *modbusHandler) HandleDiscreteInputs(*mbserver.DiscreteInputsRequest) ([]bool, error) {
	return nil, mbserver.ErrIllegalFunction
}

func (h *modbusHandler) HandleHoldingRegisters(req *mbserver.HoldingRegistersRequest) ([]uint16, error) {
	if req.IsWrite {
		return nil, mbserver.ErrIllegalFunction
	}
	return h.read(req.UnitId, req.Addr, req.Quantity)
}

func (h *modbusHandler) HandleInputRegisters(req *mbserver.InputRegistersRequest) ([]uint16, error) {
	return h.read(req.UnitId, req.Addr, req.Quantity)
}

func (h *modbusHandler) read(unit uint8, addr, qty uint16) ([]uint16, error) {
	h.s.stallModbus()
	if unit != 1 {
		return nil, mbserver.ErrGWTargetFailedToRespond
	}
	out := make([]uint16, 0, qty)
	snaps := map[int]snapshot{}
	for a := int(addr); a < int(addr)+int(qty); a++ {
		if a >= BenchBase && a < BenchBase+h.s.cfg.BenchTags {
			v, _ := h.s.benchValue(a - BenchBase)
			out = append(out, v)
			continue
		}
		li, off := a/regStride, a%regStride
		if li >= len(h.s.lines) || off >= regCount {
			return nil, mbserver.ErrIllegalDataAddress
		}
		sn, ok := snaps[li]
		if !ok {
			sn = h.s.snap(h.s.lines[li])
			snaps[li] = sn
		}
		out = append(out, register(sn, off))
	}
	return out, nil
}

func register(sn snapshot, off int) uint16 {
	g, r := uint32(sn.GoodCounter), uint32(sn.RejectCounter)
	switch off {
	case 0:
		return uint16(g)
	case 1:
		return uint16(r)
	case 2:
		return uint16(sn.StateCode)
	case 3:
		return uint16(sn.Fault)
	case 4:
		return uint16(g >> 16)
	case 5:
		return uint16(g)
	case 6:
		return uint16(r >> 16)
	case 7:
		return uint16(r)
	case 8:
		return uint16(sn.goodWraps)
	case 9:
		return uint16(sn.rejectWraps)
	}
	return 0
}
