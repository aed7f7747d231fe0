package org.vnvdimm.sim.platform;

import static org.junit.jupiter.api.Assertions.*;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.vnvdimm.contract.Roles;
import org.vnvdimm.contract.testing.Harness;
import org.vnvdimm.proto.Envelope;
import org.vnvdimm.proto.MemAccess;
import org.vnvdimm.proto.StepResult;

/** The bus takes accesses only from Xen, which has checked them; it answers whoever Xen names. */
class PlatformTest {
    static ActorTestKit kit;

    @BeforeAll static void up() { kit = ActorTestKit.create("PlatformTest"); }

    @AfterAll static void down() { kit.shutdownTestKit(); }

    @Test
    void onlyXenReachesTheBus() {
        PlatformModel model = new PlatformModel(PlatformModelTest.two(false));
        Harness bus = new Harness(kit, Roles.PLATFORM, w -> Platform.create(w, model, new MediaStore(), new MediaStore()));
        Envelope.Builder read = Envelope.newBuilder().setMemAccess(MemAccess.newBuilder().setOp(MemAccess.Op.READ)
                .setSpa(0x280001000L).setLen(8).setInitiatorDomid(0).setReplyTo(Roles.DOM0).setReplyTag(5));
        StepResult direct = bus.deliver(Roles.DOM0, read.clone());
        assertEquals(0, direct.getSentCount(), "Dom0 cannot bypass Xen's check");
        assertTrue(bus.logged("rejected MEM_ACCESS from dom0"));
        StepResult viaXen = bus.deliver(Roles.XEN, read.clone());
        Envelope done = Harness.only(viaXen);
        assertEquals(Roles.DOM0, done.getTo());
        assertEquals(5, done.getTag(), "answered to Dom0 with Dom0's tag");
        assertEquals(0, done.getMemAccessDone().getRc());
    }
}
