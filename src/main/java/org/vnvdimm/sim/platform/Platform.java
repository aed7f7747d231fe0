package org.vnvdimm.sim.platform;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import com.google.protobuf.ByteString;
import org.vnvdimm.contract.ComponentBehavior;
import org.vnvdimm.contract.Errno;
import org.vnvdimm.contract.Roles;
import org.vnvdimm.proto.AcpiEvalResult;
import org.vnvdimm.proto.AcpiNotify;
import org.vnvdimm.proto.Envelope;
import org.vnvdimm.proto.HotplugDimm;
import org.vnvdimm.proto.FirmwareHandoff;
import org.vnvdimm.proto.MemAccess;
import org.vnvdimm.proto.MemAccessDone;
import org.vnvdimm.proto.StepResult;

/**
 * The hardware: power button, firmware hand-off and the memory bus. Owns the content of host RAM
 * (lost at power off) and of the NVDIMM media (kept).
 */
public final class Platform extends ComponentBehavior {
    /** The host's NVDIMM root device (ACPI0012) and its FIT method. */
    public static final String NVDR = "\\_SB.NVDR";
    public static final String NVDR_FIT = NVDR + "._FIT";
    /** Notify value for "the FIT changed" (Linux's NFIT_NOTIFY_UPDATE). */
    public static final int NFIT_NOTIFY_UPDATE = 0x80;

    private final PlatformModel model;
    private final MediaStore ram;
    private final MediaStore media;

    /** Where the stream that decides which unflushed lines the caches wrote back departs from the run's seed. */
    static final long WRITEBACK_STREAM = 0x3c6ef372fe94f82bL;

    private final long seed;

    public static Behavior<Envelope> create(ActorRef<StepResult> wire, PlatformModel model, MediaStore ram, MediaStore media) {
        return create(wire, model, ram, media, 0);
    }

    /** seed: the run's; it decides (with what is pending) which unflushed lines a power cut loses. */
    public static Behavior<Envelope> create(ActorRef<StepResult> wire, PlatformModel model, MediaStore ram, MediaStore media, long seed) {
        return Behaviors.setup(ctx -> new Platform(ctx, wire, model, ram, media, seed));
    }

    private Platform(ActorContext<Envelope> ctx, ActorRef<StepResult> wire, PlatformModel model, MediaStore ram, MediaStore media, long seed) {
        super(ctx, Roles.PLATFORM, wire);
        this.model = model;
        this.ram = ram;
        this.media = media;
        this.seed = seed;
    }

    @Override
    protected void handle(Envelope e) {
        switch (e.getPayloadCase()) {
            case POWER_ON -> powerOn();
            case MEM_ACCESS -> {
                // Only CPUs under Xen reach the bus, and Xen sends every access: its own, the HVM
                // vCPUs' after the EPT walk, and Dom0's after its check (PV page tables).
                if (!e.getFrom().equals(Roles.XEN)) throw new ProtocolError("memory access from " + e.getFrom() + "; only Xen issues bus accesses");
                access(e.getMemAccess());
            }
            case HOTPLUG_DIMM -> {
                if (!e.getFrom().equals("admin")) throw new ProtocolError("a DIMM hot-added by " + e.getFrom() + "; only the scenario plugs DIMMs");
                hotplug(e.getHotplugDimm());
            }
            case ACPI_EVAL -> {
                // Only Dom0's kernel runs the host's AML (Xen has no ACPI interpreter).
                if (!e.getFrom().equals(Roles.DOM0)) throw new ProtocolError("AML evaluation by " + e.getFrom() + "; only Dom0 evaluates the host's methods");
                eval(e);
            }
            default -> throw new ProtocolError("the platform does not understand " + e.getPayloadCase());
        }
    }

    private void powerOn() {
        ram.clear();
        long pending = media.unflushedBytes();
        if (pending > 0) {
            // Lines still in the caches when the power went: the scheduler's seeded choice says
            // which of them the caches had written back before the cut.
            MediaStore.PowerLoss l = media.powerLoss(new java.util.SplittableRandom(seed ^ WRITEBACK_STREAM ^ pending * 0x9E3779B97F4A7C15L));
            log("platform: power was lost with %d range(s) of unflushed cache lines (%d bytes): %d bytes had been written back, %d bytes lost",
                    l.ranges(), pending, l.keptBytes(), l.lostBytes());
        }
        send(Roles.XEN, Envelope.newBuilder().setFirmwareHandoff(FirmwareHandoff.newBuilder()
                .addAllE820(model.e820()).addAllAcpiTables(model.acpiTables()).setNrCpus(model.nrCpus()).setPaddrBits(46)));
    }

    /**
     * A DIMM is plugged in: its range starts to decode, the _FIT method returns it from now on, and
     * the firmware raises Notify(\_SB.NVDR, 0x80). The boot NFIT (and the E820) stay as booted.
     */
    private void hotplug(HotplugDimm h) {
        PlatformModel.Dimm d;
        try {
            d = model.hotplug(h.getHandle(), h.getSpa(), h.getSizeBytes(), h.getPxm(), h.getLabelBytes());
        } catch (IllegalArgumentException ex) {
            log("platform: DIMM %#x not added: %s", h.getHandle(), ex.getMessage());
            return;
        }
        log("platform: DIMM %#x hot-added at [mem %#x-%#x], pxm %d; Notify(%s, %#x)", d.handle(), d.spa(), d.spa() + d.sizeBytes() - 1,
                d.pxm(), NVDR, NFIT_NOTIFY_UPDATE);
        send(Roles.DOM0, Envelope.newBuilder().setAcpiNotify(AcpiNotify.newBuilder().setDevice(NVDR).setValue(NFIT_NOTIFY_UPDATE)));
    }

    /** Evaluates a host AML method: only \_SB.NVDR._FIT exists (the NFIT structures of every DIMM present). */
    private void eval(Envelope e) {
        AcpiEvalResult.Builder r = AcpiEvalResult.newBuilder();
        if (NVDR_FIT.equals(e.getAcpiEval().getPath()) && !model.allDimms().isEmpty()) r.setStatus(0).setData(ByteString.copyFrom(model.fit()));
        else r.setStatus(Errno.ENOENT.neg());
        replyTo(e, Envelope.newBuilder().setAcpiEvalResult(r));
    }

    /** A guest domain (not Dom0, not Xen itself or another DOMID_* pseudo-domain). */
    private static boolean isGuest(int domid) { return domid > 0 && domid < org.vnvdimm.contract.XenAbi.DOMID_SELF; }

    private void access(MemAccess m) {
        long len = m.getOp() == MemAccess.Op.WRITE ? m.getData().size() : m.getLen();
        MemAccessDone.Builder done = MemAccessDone.newBuilder().setSpa(m.getSpa()).setGpa(m.getGpa());
        boolean copy = m.getOp() == MemAccess.Op.COPY;
        if (copy && (m.getSrcSpa() < 0 || m.getSrcSpa() + len < m.getSrcSpa() || !model.decodes(m.getSrcSpa(), len)
                || model.isPmem(m.getSrcSpa()) != model.isPmem(m.getSpa()))) {
            // A copy reads its source on the same bus: a source no device decodes is a bus error
            // too; the model copies within one kind of memory (pmem to pmem, RAM to RAM).
            done.setRc(Errno.EFAULT.neg());
            log("platform: copy of %d bytes from spa %#x to %#x: the source decodes to no memory of the destination's kind", len, m.getSrcSpa(), m.getSpa());
        } else if (m.getSpa() < 0 || len <= 0 || !model.decodes(m.getSpa(), len)
                || (m.getOp() != MemAccess.Op.FILL && !copy && len > MediaStore.MAX_ACCESS_BYTES)) {
            // No device decodes the address: a bus error, not a crash.
            done.setRc(Errno.EFAULT.neg());
            log("platform: %s of %d bytes at spa %#x decodes to no memory", m.getOp(), len, m.getSpa());
        } else {
            MediaStore store = model.isPmem(m.getSpa()) ? media : ram;
            switch (m.getOp()) {
                case READ -> done.setData(ByteString.copyFrom(store.read(m.getSpa(), (int) len)));
                case WRITE -> {
                    // A guest's store to pmem sits in the CPU caches until the guest flushes it.
                    // Dom0's and Xen's writes are durable at once [inferred]: Linux's pmem driver
                    // writes with memcpy_flushcache and flushes (arch_wb_cache_pmem, nvdimm_flush)
                    // for info blocks, labels and the filesystem's metadata; Xen's frame table
                    // and M2P are rebuilt at every boot anyway.
                    if (store == media && isGuest(m.getInitiatorDomid())) media.writeVolatile(m.getSpa(), m.getData().toByteArray());
                    else store.write(m.getSpa(), m.getData().toByteArray());
                }
                case COPY -> {
                    if (store == media && isGuest(m.getInitiatorDomid())) media.copyVolatile(m.getSrcSpa(), m.getSpa(), len);
                    else store.copy(m.getSrcSpa(), m.getSpa(), len);
                }
                case FILL -> store.fill(m.getSpa(), len, m.getFillTag().isEmpty() ? null : m.getFillTag());
                // CLWB + SFENCE: the lines reach the persistence domain (RAM has none).
                case FLUSH -> { if (store == media) media.flush(m.getSpa(), len); }
                default -> throw new ProtocolError("memory op " + m.getOp());
            }
        }
        if (!m.getReplyTo().isEmpty()) replyOnBehalf(m.getReplyTo(), m.getReplyTag(), Envelope.newBuilder().setMemAccessDone(done));
    }
}
