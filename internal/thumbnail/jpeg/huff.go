// Portions of this file are derived from Go's image/jpeg package,
// Copyright 2009 The Go Authors, used under the BSD-style license in
// GO_LICENSE.

package jpeg

import "encoding/binary"

// lutBits is the number of look-ahead bits of the Huffman look-up tables.
const lutBits = 10

// huffTable is a Huffman decoding table, specified in section C.
type huffTable struct {
	nCodes int32
	// lut maps the next lutBits bits to value<<8 | code length, or 0 when
	// the code is longer than lutBits.
	lut [1 << lutBits]uint16
	// fast maps the next lutBits bits, when they hold both an AC code and
	// all its extra bits, to value<<16 | run<<8 | total length; else 0.
	fast [1 << lutBits]int32
	vals [256]uint8
	// For codes of length l (1..16): the smallest and largest code, -1 if
	// there are none, and the index in vals of the smallest.
	minCode, maxCode, valPtr [17]int32
}

// processDHT reads Huffman tables, as specified in section B.2.4.2.
func (d *Decoder) processDHT(seg []byte) error {
	for len(seg) > 0 {
		if len(seg) < 17 {
			return jpegFormatError("DHT has wrong length")
		}
		tc, th := seg[0]>>4, seg[0]&0x0f
		if tc > 1 {
			return jpegFormatError("bad Tc value")
		}
		if th > jpegMaxTh || (d.baseline && th > 1) {
			return jpegFormatError("bad Th value")
		}
		h := &d.huff[tc][th]
		var counts [17]int32
		h.nCodes = 0
		for l := 1; l <= 16; l++ {
			counts[l] = int32(seg[l])
			h.nCodes += counts[l]
		}
		if h.nCodes == 0 {
			return jpegFormatError("Huffman table has zero length")
		}
		if h.nCodes > 256 {
			return jpegFormatError("Huffman table has excessive length")
		}
		seg = seg[17:]
		if len(seg) < int(h.nCodes) {
			return jpegFormatError("DHT has wrong length")
		}
		copy(h.vals[:], seg[:h.nCodes])
		seg = seg[h.nCodes:]

		// Canonical codes, rejecting over-subscribed tables.
		clear(h.lut[:])
		code, idx := int32(0), int32(0)
		for l := int32(1); l <= 16; l++ {
			n := counts[l]
			if n == 0 {
				h.minCode[l], h.maxCode[l], h.valPtr[l] = -1, -1, -1
			} else {
				if code+n > 1<<l {
					h.nCodes = 0
					return jpegFormatError("bad Huffman table")
				}
				h.minCode[l], h.maxCode[l], h.valPtr[l] = code, code+n-1, idx
				if l <= lutBits {
					for c := code; c < code+n; c++ {
						e := uint16(h.vals[idx+c-code])<<8 | uint16(l)
						base := c << (lutBits - l)
						for k := range int32(1) << (lutBits - l) {
							h.lut[base+k] = e
						}
					}
				}
				code += n
				idx += n
			}
			code <<= 1
		}
		if tc == 1 {
			h.buildFast()
		}
	}
	return nil
}

// buildFast fills h.fast from h.lut for an AC table.
func (h *huffTable) buildFast() {
	for i, e := range h.lut {
		h.fast[i] = 0
		if e == 0 {
			continue
		}
		n, rs := uint32(e&0xff), uint32(e>>8)
		run, size := rs>>4, rs&0x0f
		if size == 0 || n+size > lutBits {
			continue
		}
		bits := uint64(i) << (64 - lutBits + n) // the extra bits, left-aligned
		v := extend(bits, size)
		h.fast[i] = v<<16 | int32(run)<<8 | int32(n+size)
	}
}

// decode returns the value and length of the code at the top of acc, which
// holds at least 16 bits; a zero length means an invalid code.
func (h *huffTable) decode(acc uint64) (uint8, uint32) {
	if e := h.lut[acc>>(64-lutBits)]; e != 0 {
		return uint8(e >> 8), uint32(e & 0xff)
	}
	for l := lutBits + 1; l <= 16; l++ {
		code := int32(acc >> (64 - l))
		if code <= h.maxCode[l] {
			i := h.valPtr[l] + code - h.minCode[l]
			if i < 0 || i >= h.nCodes {
				return 0, 0
			}
			return h.vals[i], uint32(l)
		}
	}
	return 0, 0
}

// resetBits empties the bit reader, at the start of a scan or restart
// interval.
func (d *Decoder) resetBits() { d.acc, d.nbits, d.pad = 0, 0, 0 }

// refill tops acc up to more than 56 bits from the entropy-coded segment,
// undoing byte stuffing. At a marker or the end of data it appends zero bytes
// (counted in d.pad) without advancing.
func (d *Decoder) refill(acc uint64, nbits uint32) (uint64, uint32) {
	data, pos := d.data, d.pos
	if pos+8 <= len(data) {
		// Fast path: whole bytes from the next eight when none is 0xff.
		v := binary.BigEndian.Uint64(data[pos:])
		if x := ^v; (x-0x0101010101010101)&^x&0x8080808080808080 == 0 {
			nb := (64 - nbits) / 8
			v &^= ^uint64(0) >> (8 * nb) // keep the nb leading bytes
			d.pos = pos + int(nb)
			return acc | v>>nbits, nbits + 8*nb
		}
	}
	for nbits <= 56 {
		var b byte
		if pos < len(data) {
			b = data[pos]
			if b != 0xff {
				pos++
			} else if pos+1 < len(data) && data[pos+1] == 0x00 {
				pos += 2
			} else {
				b = 0
				d.pad += 8
			}
		} else {
			d.pad += 8
		}
		acc |= uint64(b) << (56 - nbits)
		nbits += 8
	}
	d.pos = pos
	return acc, nbits
}

// overrun reports whether the bits consumed so far went past the end of the
// segment.
func (d *Decoder) overrun() bool { return d.nbits < d.pad }

func (d *Decoder) ensureBits() {
	if d.nbits < 32 {
		d.acc, d.nbits = d.refill(d.acc, d.nbits)
	}
}

// decodeHuffman returns the next Huffman-coded value.
func (d *Decoder) decodeHuffman(h *huffTable) (uint8, error) {
	if h.nCodes == 0 {
		return 0, jpegFormatError("uninitialized Huffman table")
	}
	d.ensureBits()
	v, n := h.decode(d.acc)
	if n == 0 {
		return 0, jpegFormatError("bad Huffman code")
	}
	d.acc <<= n
	d.nbits -= n
	return v, nil
}

// receiveExtend reads t bits (t <= 16) and sign-extends them, as RECEIVE and
// EXTEND in section F.2.2.1.
func (d *Decoder) receiveExtend(t uint8) int32 {
	if t == 0 {
		return 0
	}
	d.ensureBits()
	x := extend(d.acc, uint32(t))
	d.acc <<= t
	d.nbits -= uint32(t)
	return x
}

// extend sign-extends the top s bits (1 <= s <= 16) of acc.
func extend(acc uint64, s uint32) int32 {
	x := int32(acc >> (64 - s))
	if x < int32(1)<<(s-1) {
		x += int32(-1)<<s + 1
	}
	return x
}

func (d *Decoder) decodeBit() bool {
	d.ensureBits()
	bit := d.acc>>63 != 0
	d.acc <<= 1
	d.nbits--
	return bit
}

func (d *Decoder) decodeBits(n uint32) uint32 {
	if n == 0 {
		return 0
	}
	d.ensureBits()
	v := uint32(d.acc >> (64 - n))
	d.acc <<= n
	d.nbits -= n
	return v
}
