#!/usr/bin/env python3
# Random valid iLBC frames as an RFC 3951 storage file, for
# gen_ilbc_vectors.sh: every parameter uniform over its range, except the
# start sub-block (1 .. number of sub-blocks - 1), the 20 ms start-state
# codebook indices (below 126, the end of that 2 x 63-vector codebook) and
# the empty-frame bit (0). The bits are packed in the three ULP classes of
# RFC 3951 section 3.8 (tables 3.2 and 3.3).
#
#   ilbc_random_frames.py MODE(20|30) FRAMES SEED OUT.lbc
import random, sys
mode, nfr, seed, path = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
U20 = dict(lsf=[[6,0,0],[7,0,0],[7,0,0]], start=[2,0,0], sf=[1,0,0], scale=[6,0,0], state=[0,1,2],
           xi=[[6,0,1],[0,0,7],[0,0,7]], xg=[[2,0,3],[1,1,2],[0,0,3]],
           ci=[[[7,0,1],[0,0,7],[0,0,7]], [[0,0,8],[0,0,8],[0,0,8]]],
           cg=[[[1,2,2],[1,1,2],[0,0,3]], [[1,1,3],[0,2,2],[0,0,3]]], ssl=57, nsub=4)
U30 = dict(lsf=[[6,0,0],[7,0,0],[7,0,0],[6,0,0],[7,0,0],[7,0,0]], start=[3,0,0], sf=[1,0,0], scale=[6,0,0],
           state=[0,1,2], xi=[[4,2,1],[0,0,7],[0,0,7]], xg=[[1,1,3],[1,1,2],[0,0,3]],
           ci=[[[6,1,1],[0,0,7],[0,0,7]]] + [[[0,7,1],[0,0,8],[0,0,8]]] * 3,
           cg=[[[1,2,2],[1,2,1],[0,0,3]], [[0,2,3],[0,2,2],[0,0,3]], [[0,1,4],[0,1,3],[0,0,3]],
               [[0,1,4],[0,1,3],[0,0,3]]], ssl=58, nsub=6)
U = U20 if mode == 20 else U30
rng = random.Random(seed)
fields = [('lsf', a) for a in U['lsf']] + [('start', U['start']), ('sf', U['sf']), ('scale', U['scale'])]
fields += [('st', U['state'])] * U['ssl'] + [('xi', a) for a in U['xi']] + [('xg', a) for a in U['xg']]
for sub in U['ci']: fields += [('ci', a) for a in sub]
for sub in U['cg']: fields += [('cg', a) for a in sub]
out = bytearray(b"#!iLBC%d\n" % mode)
for _ in range(nfr):
    vals = []
    for name, a in fields:
        bits = sum(a)
        if name == 'start':
            v = rng.randint(1, U['nsub'] - 1)
        elif name == 'xi' and mode == 20:
            v = rng.randrange(126)
        else:
            v = rng.getrandbits(bits)
        vals.append(v)
    bitlist = []
    for c in range(3):
        for (name, a), v in zip(fields, vals):
            if a[c]:
                below = sum(a[c + 1:])
                part = (v >> below) & ((1 << a[c]) - 1)
                bitlist += [(part >> (a[c] - 1 - i)) & 1 for i in range(a[c])]
    bitlist.append(0)
    assert len(bitlist) % 8 == 0
    for i in range(0, len(bitlist), 8):
        out.append(int(''.join(map(str, bitlist[i:i + 8])), 2))
open(path, 'wb').write(out)
