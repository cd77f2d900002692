import struct, json, os
def regs_from_bytes(b): return [ (b[i]<<8)|b[i+1] for i in range(0,len(b),2)]
def order(canon, o):
    n=len(canon)//2
    regs=[canon[2*i:2*i+2] for i in range(n)]
    if o=='ABCD': w=canon
    elif o=='DCBA': w=canon[::-1]
    elif o=='CDAB': w=b''.join(regs[::-1])
    elif o=='BADC': w=b''.join(r[::-1] for r in regs)
    return regs_from_bytes(w)

def write_case(name, comment, header, devices, units, expected, extra=None):
    os.makedirs(name, exist_ok=True)
    with open(f"{name}/config.yaml","w") as f:
        for line in comment.strip().split("\n"): f.write("# "+line+"\n")
        f.write(header)
        f.write("devices:\n")
        for d in devices:
            f.write(f"  - name: {d['name']}\n")
            for k,v in d.items():
                if k in ("name","tags"): continue
                f.write(f"    {k}: {v}\n")
            f.write("    tags:\n")
            for t in d["tags"]:
                f.write("      - "+json.dumps(t, separators=(", ", ": ")).replace('"','')+"\n")
    with open(f"{name}/device.json","w") as f:
        json.dump({"units":units}, f, indent=1); f.write("\n")
    out={"records":expected}
    if extra: out.update(extra)
    with open(f"{name}/expected.json","w") as f:
        json.dump(out, f, indent=1); f.write("\n")

HDR="type: modbus_tcp\nname: golden\nhost: 127.0.0.1\nport: 502\npoll_interval: 1s\n"

# ---- decode_types
holding={}; tags=[]; expected=[]; addr=0
def add(name, typ, canon, o, value, vtype):
    global addr
    rs=order(canon,o); holding[str(addr)]=rs
    tags.append({"name":name,"address":addr,"type":typ,"word_order":o})
    expected.append({"device":"plc","tag":name,"type":vtype,"value":value,"quality":"good"})
    addr+=len(rs)
for o in ['ABCD','CDAB','BADC','DCBA']:
    l=o.lower()
    add("f32_"+l,"float32",struct.pack('>f',1234.5),o,1234.5,"double")
    add("f64_"+l,"float64",struct.pack('>d',-6.25e10),o,-6.25e10,"double")
    add("i32_"+l,"int32",struct.pack('>i',-123456789),o,-123456789,"int64")
    add("u32_"+l,"uint32",struct.pack('>I',4000000000),o,4000000000,"uint64")
    add("i64_"+l,"int64",struct.pack('>q',-1234567890123456789),o,-1234567890123456789,"int64")
    add("u64_"+l,"uint64",struct.pack('>Q',18000000000000000000),o,18000000000000000000,"uint64")
    add("i16_"+l,"int16",struct.pack('>h',-2),o,-2,"int64")
    add("u16_"+l,"uint16",struct.pack('>H',65000),o,65000,"uint64")
    add("bcd16_"+l,"bcd16",bytes([0x12,0x34]),o,1234,"uint64")
    add("bcd32_"+l,"bcd32",bytes([0x87,0x65,0x43,0x21]),o,87654321,"uint64")
def addstr(name,o,text,length):
    global addr
    b=text.encode().ljust(2*length,b'\0')
    if o in ('BADC','DCBA'): b=b''.join(b[i:i+2][::-1] for i in range(0,len(b),2))
    holding[str(addr)]=regs_from_bytes(b)
    tags.append({"name":name,"address":addr,"type":"string","length":length,"word_order":o})
    expected.append({"device":"plc","tag":name,"type":"string","value":text,"quality":"good"})
    addr+=length
addstr("name_abcd","ABCD","Pump 7",4)
addstr("name_badc","BADC","Pump 7",4)
sa=addr; holding[str(sa)]=[0b1000000000000101]; addr+=1
for bit,val in [(0,True),(1,False),(2,True),(15,True)]:
    tags.append({"name":f"status_b{bit}","address":sa,"type":"bool","bit":bit})
    expected.append({"device":"plc","tag":f"status_b{bit}","type":"bool","value":val,"quality":"good"})
tags.append({"name":"ir0","table":"input","address":0,"type":"int16"})
expected.append({"device":"plc","tag":"ir0","type":"int64","value":-1,"quality":"good"})
tags.append({"name":"ir1","table":"input","address":1})
expected.append({"device":"plc","tag":"ir1","type":"uint64","value":32767,"quality":"good"})
for a,v in [(0,True),(1,False),(3,True),(9,True)]:
    tags.append({"name":f"coil{a}","table":"coil","address":a})
    expected.append({"device":"plc","tag":f"coil{a}","type":"bool","value":v,"quality":"good"})
tags.append({"name":"di101","table":"discrete_input","address":101})
expected.append({"device":"plc","tag":"di101","type":"bool","value":True,"quality":"good"})
write_case("decode_types",
 "Every data type in every byte order, bits in a register, strings, input registers, coils and\ndiscrete inputs, packed back to back so the plan merges them into few reads.",
 HDR,[{"name":"plc","unit_id":1,"tags":tags}],
 {"1":{"holding":holding,"input":{"0":[0xFFFF,0x7FFF]},"coils":{"0":[1,0,1,1,0,0,0,0,0,1]},"discrete_inputs":{"100":[0,1]}}},
 expected, {"requests_per_poll": 4})

# ---- bad_address: one unmapped register among 40 contiguous tags: only its tag is bad
holding={"0":list(range(1000,1040))}
tags=[{"name":f"r{a}","address":a} for a in range(40)]
exp=[{"device":"plc","tag":f"r{a}","type":"uint64","value":1000+a,"quality":"good"} for a in range(40)]
exp[23]={"device":"plc","tag":"r23","quality":"bad","code":2}
write_case("bad_address",
 "40 contiguous uint16 tags; the device refuses register 23 (exception 02). The merged read is\nsplit and the bad tag isolated: only r23 is bad. Later polls plan 3 reads (before, the bad tag\nalone, after) and, until bad_address_retry, report r23 bad without asking: 2 requests.",
 HDR,[{"name":"plc","unit_id":1,"tags":tags}],
 {"1":{"holding":holding,"faults":[{"table":"holding","from":23,"to":24,"code":2}]}},
 exp, {"requests_per_poll": 2})

# ---- device_limit: the device accepts at most 20 registers per read (exception 03 above)
holding={"0":list(range(0,100))}
tags=[{"name":f"r{a}","address":a} for a in range(0,100,2)]
exp=[{"device":"plc","tag":f"r{a}","type":"uint64","value":a,"quality":"good"} for a in range(0,100,2)]
write_case("device_limit",
 "The device answers exception 03 to reads longer than 20 registers, below the configured\nmax_read_registers. Bisection learns split points; every tag is good in the first poll.",
 HDR,[{"name":"plc","unit_id":1,"tags":tags}],
 {"1":{"holding":holding,"max_registers":20}}, exp)

# ---- unit_routing: three unit ids behind one gateway; unit 3 is offline (gateway 0x0B)
tags=[{"name":"level","address":0,"type":"float32","word_order":"CDAB"},{"name":"count","address":2,"type":"uint32"}]
def f32cdab(v): return order(struct.pack('>f',v),'CDAB')
units={"1":{"holding":{"0":f32cdab(12.25)+[0,7]}}, "2":{"holding":{"0":f32cdab(-3.5)+[1,0]}}}
exp=[{"device":"tank1","tag":"level","type":"double","value":12.25,"quality":"good"},
     {"device":"tank1","tag":"count","type":"uint64","value":7,"quality":"good"},
     {"device":"tank2","tag":"level","type":"double","value":-3.5,"quality":"good"},
     {"device":"tank2","tag":"count","type":"uint64","value":65536,"quality":"good"},
     {"device":"tank3","tag":"level","quality":"bad","code":11},
     {"device":"tank3","tag":"count","quality":"bad","code":11}]
write_case("unit_routing",
 "Three RTU devices behind one TCP-to-RTU gateway: the same addresses on units 1 and 2 hold\ndifferent values; unit 3 does not answer (the gateway says exception 0B).",
 HDR,[{"name":"tank1","unit_id":1,"tags":tags},{"name":"tank2","unit_id":2,"tags":tags},{"name":"tank3","unit_id":3,"tags":tags}],
 units, exp)
