package org.vnvdimm.sim.platform;

import static org.junit.jupiter.api.Assertions.*;

import akka.actor.typed.ActorRef;
import akka.actor.typed.javadsl.Behaviors;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.vnvdimm.contract.Errno;
import org.vnvdimm.contract.Roles;
import org.vnvdimm.proto.Envelope;
import org.vnvdimm.proto.MemAccess;
import org.vnvdimm.proto.Scenario;
import org.vnvdimm.proto.StepResult;
import org.vnvdimm.sim.wire.Wire;
import org.vnvdimm.sim.run.Runs;
import org.vnvdimm.sim.run.Simulator;
import org.vnvdimm.sim.scenario.ScenarioLoader;

/**
 * End to end: Dom0 reports its pfn-xen namespace, so Xen takes the reserved area. A Dom0 whose mkfs
 * stores its superblock into that area (an honest rfc-v1 kernel never does: the layout is its own)
 * is refused by Xen (-EPERM), the bus never sees the store, and mkfs fails with -EIO.
 */
public class Dom0WithdrawnAreaTest {
    static Simulator sim;

    @BeforeAll static void up() { sim = new Simulator(); }

    @AfterAll static void down() { sim.close(); }

    /** Where the misdirected superblock goes: inside the reserved area Xen took (MFN 0x280010). */
    public static final long SUPERBLOCK = 0x280010000L;

    /** Dom0 with its mkfs superblock store (the "XFSB" write) moved to {@link #SUPERBLOCK}. */
    public static UnaryOperator<Wire.ComponentFactory> misdirectedMkfs() {
        return real -> (role, wire) -> {
            if (!role.equals(Roles.DOM0)) return real.create(role, wire);
            return Behaviors.setup(ctx -> {
                ActorRef<StepResult> tap = ctx.spawnAnonymous(Behaviors.<StepResult>receiveMessage(r -> {
                    StepResult.Builder b = r.toBuilder().clearSent();
                    for (Envelope e : r.getSentList()) {
                        boolean sb = e.hasMemAccess() && e.getMemAccess().getOp() == MemAccess.Op.WRITE
                                && e.getMemAccess().getData().startsWith(com.google.protobuf.ByteString.copyFromUtf8("XFSB"));
                        b.addSent(sb ? e.toBuilder().setMemAccess(e.getMemAccess().toBuilder().setSpa(SUPERBLOCK)).build() : e);
                    }
                    wire.tell(b.build());
                    return Behaviors.same();
                }));
                return real.create(role, tap);
            });
        };
    }

    /** Also used by SeededBugsTest, with a Xen that does not enforce the withdrawal. */
    public static Scenario scenario() throws Exception {
        return ScenarioLoader.parse(new String(Dom0WithdrawnAreaTest.class.getResourceAsStream("/scenarios-test/dom0-touches-xens-area.yaml").readAllBytes(),
                java.nio.charset.StandardCharsets.UTF_8), "dom0-touches-xens-area.yaml");
    }

    @Test
    void mkfsOverXensAreaIsRefusedAndFailsWithEio() throws Exception {
        Scenario s = scenario();
        org.vnvdimm.sim.record.MemoryRecorder mem = new org.vnvdimm.sim.record.MemoryRecorder();
        Runs.Run r = new Runs.Run(sim.run(s, 1, null, mem, misdirectedMkfs()), mem.records());
        assertTrue(r.result().passed(), r.result().summary().getOutcome() + " " + r.result().verdicts());
        assertTrue(r.result().verdicts().isEmpty(), "no oracle fired: Xen's area was never written by Dom0");
        long superblock = SUPERBLOCK;
        long asked = r.firstSeq(e -> e.hasMemAccess() && e.getFrom().equals(Roles.DOM0) && e.getMemAccess().getSpa() == superblock);
        assertNotEquals(Long.MAX_VALUE, asked, "mkfs tried to write its superblock");
        Envelope answer = r.answerTo(asked);
        assertEquals(Roles.XEN, answer.getFrom(), "Xen answered itself");
        assertEquals(Errno.EPERM.neg(), answer.getMemAccessDone().getRc());
        assertEquals(Long.MAX_VALUE, r.firstSeq(e -> e.hasMemAccess() && e.getTo().equals(Roles.PLATFORM)
                && e.getMemAccess().getInitiatorDomid() == 0 && e.getMemAccess().getSpa() == superblock), "the bus never saw it");
        assertTrue(r.delivered().stream().noneMatch(e -> e.hasMemAccess() && e.getTo().equals(Roles.PLATFORM) && !e.getFrom().equals(Roles.XEN)),
                "only Xen sends to the bus");
        assertTrue(r.delivered().stream().anyMatch(e -> e.hasMemAccess() && e.getMemAccess().getOp() == MemAccess.Op.READ && e.getFrom().equals(Roles.XEN)));
    }
}
