// Portions of this file are derived from Go's image/jpeg package,
// Copyright 2012 The Go Authors, used under the BSD-style license in
// GO_LICENSE.

package jpeg

import "image"

// processSOS decodes a scan, as specified in section B.2.3. hdr is the scan
// header; the entropy-coded data starts at d.pos.
func (d *Decoder) processSOS(hdr []byte) error {
	if d.nComp == 0 {
		return jpegFormatError("missing SOF marker")
	}
	n := len(hdr)
	if n < 6 || 4+2*d.nComp < n || n%2 != 0 {
		return jpegFormatError("SOS has wrong length")
	}
	nComp := int(hdr[0])
	if n != 4+2*nComp {
		return jpegFormatError("SOS length inconsistent with number of components")
	}
	var scan [jpegMaxComponents]struct {
		compIndex uint8
		td, ta    uint8 // DC and AC table selectors
	}
	totalHV := 0
	for i := range nComp {
		cs := hdr[1+2*i]
		compIndex := -1
		for j, comp := range d.comp[:d.nComp] {
			if cs == comp.c {
				compIndex = j
			}
		}
		if compIndex < 0 {
			return jpegFormatError("unknown component selector")
		}
		scan[i].compIndex = uint8(compIndex)
		for j := range i {
			if scan[i].compIndex == scan[j].compIndex {
				return jpegFormatError("repeated component selector")
			}
		}
		totalHV += d.comp[compIndex].h * d.comp[compIndex].v
		scan[i].td = hdr[2+2*i] >> 4
		if t := scan[i].td; t > jpegMaxTh || (d.baseline && t > 1) {
			return jpegFormatError("bad Td value")
		}
		scan[i].ta = hdr[2+2*i] & 0x0f
		if t := scan[i].ta; t > jpegMaxTh || (d.baseline && t > 1) {
			return jpegFormatError("bad Ta value")
		}
	}
	if d.nComp > 1 && totalHV > 10 {
		return jpegFormatError("total sampling factors too large")
	}

	// Spectral selection (zigStart, zigEnd) and successive approximation
	// (ah, al); fixed at 0/63/0/0 for sequential JPEGs.
	zigStart, zigEnd, ah, al := int32(0), int32(63), uint32(0), uint32(0)
	if d.progressive {
		zigStart = int32(hdr[1+2*nComp])
		zigEnd = int32(hdr[2+2*nComp])
		ah = uint32(hdr[3+2*nComp] >> 4)
		al = uint32(hdr[3+2*nComp] & 0x0f)
		if (zigStart == 0 && zigEnd != 0) || zigStart > zigEnd || 64 <= zigEnd {
			return jpegFormatError("bad spectral selection bounds")
		}
		if zigStart != 0 && nComp != 1 {
			return jpegFormatError("progressive AC coefficients for more than one component")
		}
		if ah != 0 && ah != al+1 {
			return jpegFormatError("bad successive approximation values")
		}
	}

	// mxx and myy are the number of MCUs in the image.
	h0, v0 := d.comp[0].h, d.comp[0].v
	mxx := (d.width + 8*h0 - 1) / (8 * h0)
	myy := (d.height + 8*v0 - 1) / (8 * v0)
	if !d.haveImg {
		d.makeImg(mxx, myy)
	}
	if d.progressive {
		for i := range nComp {
			ci := scan[i].compIndex
			if d.progCoeffs[ci] == nil {
				nb := mxx * myy * d.comp[ci].h * d.comp[ci].v
				if cap(d.progBuf[ci]) < nb {
					d.progBuf[ci] = make([]jblock, nb)
				} else {
					d.progBuf[ci] = d.progBuf[ci][:nb]
					clear(d.progBuf[ci])
				}
				d.progCoeffs[ci] = d.progBuf[ci]
			}
		}
	} else {
		for i := range nComp {
			ci := scan[i].compIndex
			if d.huff[0][scan[i].td].nCodes == 0 || d.huff[1][scan[i].ta].nCodes == 0 {
				return jpegFormatError("uninitialized Huffman table")
			}
			if d.comp[ci].tq > jpegMaxTq {
				return jpegFormatError("bad Tq value")
			}
		}
	}
	// At scale 1/8 only the DC coefficient of sequential blocks is used.
	storeAC := d.scale < 8

	// Rows of the output image an MCU row finishes, when they can be told.
	var img image.Image
	rowsPerMCU := 0
	if d.streams(nComp) && (nComp > 1 || h0 == 1 && v0 == 1) {
		img = &d.ycc
		if d.nComp == 1 {
			img = &d.gray
		}
		rowsPerMCU = 8 * v0 / d.scale
	}
	outH := ceilDiv(d.height, d.scale)

	d.resetBits()
	mcu, expectedRST := 0, uint8(jpegRST0)
	var (
		b          jblock
		dc         [jpegMaxComponents]int32
		bx, by     int
		blockCount int
	)
	for my := range myy {
		for mx := range mxx {
			for i := range nComp {
				ci := int(scan[i].compIndex)
				hi, vi := d.comp[ci].h, d.comp[ci].v
				for j := range hi * vi {
					// Interleaved scans visit the blocks of an MCU in
					// order; non-interleaved scans go left to right, top to
					// bottom, and skip blocks outside the image.
					if nComp != 1 {
						bx = hi*mx + j%hi
						by = vi*my + j/hi
					} else {
						q := mxx * hi
						bx = blockCount % q
						by = blockCount / q
						blockCount++
						if bx*8 >= d.width || by*8 >= d.height {
							continue
						}
					}

					if !d.progressive {
						if storeAC {
							b = jblock{}
						}
						if err := d.decodeSequential(&b, &dc[ci], &d.huff[0][scan[i].td], &d.huff[1][scan[i].ta], storeAC); err != nil {
							return err
						}
						d.reconstructBlock(&b, bx, by, ci)
						continue
					}

					p := &d.progCoeffs[ci][by*mxx*hi+bx]
					if ah != 0 {
						if err := d.refine(p, &d.huff[1][scan[i].ta], zigStart, zigEnd, 1<<al); err != nil {
							return err
						}
					} else if err := d.decodeProgressive(p, &dc[ci], &d.huff[0][scan[i].td], &d.huff[1][scan[i].ta], zigStart, zigEnd, al); err != nil {
						return err
					}
					if d.overrun() {
						return errShortHuffman
					}
				}
			}
			mcu++
			if d.ri > 0 && mcu%d.ri == 0 && mcu < mxx*myy {
				if err := d.findRST(expectedRST); err != nil {
					return err
				}
				expectedRST++
				if expectedRST == jpegRST7+1 {
					expectedRST = jpegRST0
				}
				d.resetBits()
				dc = [jpegMaxComponents]int32{}
				d.eobRun = 0
			}
		}
		if rowsPerMCU > 0 && my < myy-1 {
			d.rows(img, min((my+1)*rowsPerMCU, outH))
		}
	}
	return nil
}

// decodeSequential decodes one block of a sequential scan into b (which
// the caller has zeroed if storeAC), updating the DC predictor. It is the
// hot loop of the decoder and keeps the bit reader in locals.
func (d *Decoder) decodeSequential(b *jblock, dc *int32, hd, ha *huffTable, storeAC bool) error {
	acc, nbits := d.acc, d.nbits
	if nbits < 32 {
		acc, nbits = d.refill(acc, nbits)
	}
	s, n := hd.decode(acc)
	if n == 0 {
		return jpegFormatError("bad Huffman code")
	}
	acc <<= n
	nbits -= n
	if s > 16 {
		return jpegUnsupportedError("excessive DC component")
	}
	if s != 0 {
		*dc += extend(acc, uint32(s))
		acc <<= s
		nbits -= uint32(s)
	}
	b[0] = *dc

	for k := uint32(1); k < 64; k++ {
		if nbits < 32 {
			acc, nbits = d.refill(acc, nbits)
		}
		if e := ha.fast[acc>>(64-lutBits)]; e != 0 {
			// Code and extra bits in one look-up.
			k += uint32(e>>8) & 0xff
			n = uint32(e) & 0xff
			acc <<= n
			nbits -= n
			if k > 63 {
				break
			}
			if storeAC {
				b[jpegUnzig[k]] = e >> 16
			}
			continue
		}
		var rs uint8
		if e := ha.lut[acc>>(64-lutBits)]; e != 0 {
			rs, n = uint8(e>>8), uint32(e&0xff)
		} else if rs, n = ha.decode(acc); n == 0 {
			return jpegFormatError("bad Huffman code")
		}
		acc <<= n
		nbits -= n
		run, size := uint32(rs>>4), uint32(rs&0x0f)
		if size == 0 {
			if run != 0x0f {
				break // end of block
			}
			k += 0x0f
			continue
		}
		k += run
		if k > 63 {
			break
		}
		if storeAC {
			b[jpegUnzig[k]] = extend(acc, size)
		}
		acc <<= size
		nbits -= size
	}
	d.acc, d.nbits = acc, nbits
	if nbits < d.pad {
		return errShortHuffman
	}
	return nil
}

// decodeProgressive decodes the first pass of a progressive band
// (sections G.1.2.1 and G.1.2.2) into b.
func (d *Decoder) decodeProgressive(b *jblock, dc *int32, hd, ha *huffTable, zigStart, zigEnd int32, al uint32) error {
	zig := zigStart
	if zig == 0 {
		zig++
		value, err := d.decodeHuffman(hd)
		if err != nil {
			return err
		}
		if value > 16 {
			return jpegUnsupportedError("excessive DC component")
		}
		*dc += d.receiveExtend(value)
		b[0] = *dc << al
	}
	if zig > zigEnd {
		return nil
	}
	if d.eobRun > 0 {
		d.eobRun--
		return nil
	}
	for ; zig <= zigEnd; zig++ {
		value, err := d.decodeHuffman(ha)
		if err != nil {
			return err
		}
		val0, val1 := value>>4, value&0x0f
		if val1 != 0 {
			zig += int32(val0)
			if zig > zigEnd {
				break
			}
			b[jpegUnzig[zig]] = d.receiveExtend(val1) << al
		} else {
			if val0 != 0x0f {
				d.eobRun = uint16(1)<<val0 | uint16(d.decodeBits(uint32(val0)))
				d.eobRun--
				break
			}
			zig += 0x0f
		}
	}
	return nil
}

// refine decodes a successive approximation refinement pass, as specified
// in section G.1.2.
func (d *Decoder) refine(b *jblock, h *huffTable, zigStart, zigEnd, delta int32) error {
	if zigStart == 0 {
		// Refining a DC component is trivial (zigEnd is 0: checked by
		// processSOS).
		if d.decodeBit() {
			b[0] |= delta
		}
		return nil
	}
	zig := zigStart
	if d.eobRun == 0 {
	loop:
		for ; zig <= zigEnd; zig++ {
			z := int32(0)
			value, err := d.decodeHuffman(h)
			if err != nil {
				return err
			}
			val0, val1 := value>>4, value&0x0f
			switch val1 {
			case 0:
				if val0 != 0x0f {
					d.eobRun = uint16(1)<<val0 | uint16(d.decodeBits(uint32(val0)))
					break loop
				}
			case 1:
				z = delta
				if !d.decodeBit() {
					z = -z
				}
			default:
				return jpegFormatError("unexpected Huffman code")
			}
			zig = d.refineNonZeroes(b, zig, zigEnd, int32(val0), delta)
			if zig > zigEnd {
				return jpegFormatError("too many coefficients")
			}
			if z != 0 {
				b[jpegUnzig[zig]] = z
			}
		}
	}
	if d.eobRun > 0 {
		d.eobRun--
		d.refineNonZeroes(b, zig, zigEnd, -1, delta)
	}
	return nil
}

// refineNonZeroes refines the non-zero entries of b in zig-zag order. If
// nz >= 0, the first nz zero entries are skipped over.
func (d *Decoder) refineNonZeroes(b *jblock, zig, zigEnd, nz, delta int32) int32 {
	for ; zig <= zigEnd; zig++ {
		u := jpegUnzig[zig]
		if b[u] == 0 {
			if nz == 0 {
				break
			}
			nz--
			continue
		}
		if !d.decodeBit() {
			continue
		}
		if b[u] >= 0 {
			b[u] += delta
		} else {
			b[u] -= delta
		}
	}
	return zig
}

func (d *Decoder) reconstructProgressiveImage() {
	h0 := d.comp[0].h
	mxx := (d.width + 8*h0 - 1) / (8 * h0)
	for i := range d.nComp {
		if d.progCoeffs[i] == nil {
			continue
		}
		v := 8 * d.comp[0].v / d.comp[i].v
		h := 8 * d.comp[0].h / d.comp[i].h
		stride := mxx * d.comp[i].h
		for by := 0; by*v < d.height; by++ {
			for bx := 0; bx*h < d.width; bx++ {
				d.reconstructBlock(&d.progCoeffs[i][by*stride+bx], bx, by, i)
			}
		}
	}
}

// findRST advances past the restart marker expected at d.pos, skipping
// garbage as image/jpeg does; any other marker is an error.
func (d *Decoder) findRST(expected uint8) error {
	data := d.data
	for {
		if d.pos+2 > len(data) {
			return errShortHuffman
		}
		b0, b1 := data[d.pos], data[d.pos+1]
		switch {
		case b0 == 0xff && b1 == expected:
			d.pos += 2
			return nil
		case b0 == 0xff && b1 == 0xff:
			d.pos++
		case b0 == 0xff && b1 != 0x00:
			return jpegFormatError("bad RST marker")
		case b1 == 0xff:
			d.pos++
		default:
			d.pos += 2
		}
	}
}

// reconstructBlock dequantizes the block, applies the inverse DCT at the
// decoder's scale and stores the result in the component's plane.
func (d *Decoder) reconstructBlock(b *jblock, bx, by, ci int) {
	q := &d.quant[d.comp[ci].tq]
	var dst []uint8
	var stride int
	if d.nComp == 1 {
		dst, stride = d.gray.Pix, d.gray.Stride
	} else {
		switch ci {
		case 0:
			dst, stride = d.ycc.Y, d.ycc.YStride
		case 1:
			dst, stride = d.ycc.Cb, d.ycc.CStride
		default:
			dst, stride = d.ycc.Cr, d.ycc.CStride
		}
	}
	bs := d.bs
	dst = dst[by*bs*stride+bx*bs:]
	switch d.scale {
	case 1:
		var c jblock
		for i := range c {
			c[i] = b[i] * q[i]
		}
		idct(&c)
		for y := range 8 {
			row := dst[y*stride : y*stride+8 : y*stride+8]
			for x := range row {
				row[x] = level(c[8*y+x])
			}
		}
	case 2:
		idct4(b, q, dst, stride)
	case 4:
		idct2(b, q, dst, stride)
	default:
		dst[0] = level((b[0]*q[0] + 4) >> 3)
	}
}

// level shifts an IDCT output by +128 and clips it to [0, 255].
func level(c int32) uint8 {
	if c < -128 {
		return 0
	}
	if c > 127 {
		return 255
	}
	return uint8(c + 128)
}
