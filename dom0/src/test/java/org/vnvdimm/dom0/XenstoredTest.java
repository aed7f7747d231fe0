package org.vnvdimm.dom0;

import static org.junit.jupiter.api.Assertions.*;
import static org.vnvdimm.contract.XenAbi.*;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.vnvdimm.contract.Roles;
import org.vnvdimm.contract.testing.Harness;
import org.vnvdimm.proto.Envelope;
import org.vnvdimm.proto.StepResult;
import org.vnvdimm.proto.XsRequest;
import org.vnvdimm.proto.XsResponse;

class XenstoredTest {
    static ActorTestKit kit;
    Harness xs;

    @BeforeAll static void up() { kit = ActorTestKit.create("XenstoredTest"); }

    @AfterAll static void down() { kit.shutdownTestKit(); }

    @BeforeEach void start() { xs = new Harness(kit, Roles.XENSTORED, Xenstored::create); }

    XsResponse req(String from, int type, String path, String value) {
        StepResult r = xs.deliver(from, Envelope.newBuilder().setXsRequest(XsRequest.newBuilder().setType(type).setPath(path).setValue(value).setToken("t")));
        return Harness.first(r, Envelope::hasXsResponse).getXsResponse();
    }

    @Test
    void writeReadDirectoryRemove() {
        assertEquals(XS_WRITE, req(Roles.XL, XS_WRITE, "/local/domain/1/hvmloader/dm-acpi/address", "0x1fff0000").getType());
        assertEquals("0x1fff0000", req("guest-1", XS_READ, "/local/domain/1/hvmloader/dm-acpi/address", "").getValue());
        req(Roles.XL, XS_WRITE, "/local/domain/1/hvmloader/dm-acpi/length", "0x10000");
        assertEquals(List.of("address", "length"), req("guest-1", XS_DIRECTORY, "/local/domain/1/hvmloader/dm-acpi", "").getEntriesList());
        assertEquals(XS_RM, req(Roles.XL, XS_RM, "/local/domain/1/hvmloader", "").getType());
        XsResponse gone = req("guest-1", XS_READ, "/local/domain/1/hvmloader/dm-acpi/address", "");
        assertEquals(XS_ERROR, gone.getType());
        assertEquals("ENOENT", gone.getError());
    }

    @Test
    void aGuestSeesOnlyItsOwnSubtree() {
        req(Roles.XL, XS_WRITE, "/local/domain/2/name", "other");
        assertEquals("EACCES", req("guest-1", XS_READ, "/local/domain/2/name", "").getError());
        assertEquals("EACCES", req("guest-1", XS_WRITE, "/local/domain/0/device-model/1/state", "running").getError());
        assertEquals("EACCES", req(Roles.PLATFORM, XS_READ, "/local/domain/2/name", "").getError(), "not software in a domain");
        assertEquals("EINVAL", req(Roles.XL, XS_WRITE, "relative/path", "x").getError());
        assertEquals("EINVAL", req(Roles.XL, XS_WRITE, "/local//domain", "x").getError());
        assertEquals("E2BIG", req(Roles.XL, XS_WRITE, "/local/domain/1/big", "x".repeat(4097)).getError());
    }

    @Test
    void watchesFireOnceWhenSetAndOnEveryChangeBelow() {
        StepResult w = xs.deliver(Roles.XL, Envelope.newBuilder().setXsRequest(XsRequest.newBuilder().setType(XS_WATCH)
                .setPath("/local/domain/0/device-model/1").setToken("dm-1")));
        assertEquals(2, w.getSentCount(), "the reply and the initial event");
        assertTrue(w.getSentList().stream().anyMatch(e -> e.hasXsWatchEvent() && e.getXsWatchEvent().getToken().equals("dm-1")));
        StepResult write = xs.deliver("qemu-1", Envelope.newBuilder().setXsRequest(XsRequest.newBuilder().setType(XS_WRITE)
                .setPath("/local/domain/0/device-model/1/state").setValue("running")));
        Envelope ev = Harness.first(write, Envelope::hasXsWatchEvent);
        assertEquals(Roles.XL, ev.getTo());
        assertEquals("/local/domain/0/device-model/1/state", ev.getXsWatchEvent().getPath());
        StepResult unrelated = xs.deliver("qemu-1", Envelope.newBuilder().setXsRequest(XsRequest.newBuilder().setType(XS_WRITE)
                .setPath("/local/domain/0/device-model/2/state").setValue("running")));
        assertTrue(unrelated.getSentList().stream().noneMatch(Envelope::hasXsWatchEvent));
    }
}
