package org.vnvdimm.dom0.nd;

import java.util.Locale;

import org.vnvdimm.contract.XenAbi;

/**
 * A pmem block device as a filesystem sees it: byte 0 of the device is SPA {@code spaStartBytes}.
 * For an fsdax namespace the device covers exactly the namespace's data area.
 */
public record BlockDevice(String name, long spaStartBytes, long sizeBytes, boolean daxCapable) {
    public BlockDevice {
        if (name == null || name.isEmpty()) throw new NdException(NdException.Reason.BAD_RANGE, "name", "block device needs a name");
        if (spaStartBytes < 0 || (spaStartBytes & (XenAbi.PAGE_SIZE - 1)) != 0) {
            throw new NdException(NdException.Reason.BAD_RANGE, "spaStartBytes",
                    org.vnvdimm.contract.ComponentBehavior.format("%#x is not page aligned", spaStartBytes));
        }
        if (sizeBytes <= 0 || spaStartBytes > Long.MAX_VALUE - sizeBytes) {
            throw new NdException(NdException.Reason.BAD_RANGE, "sizeBytes", "bad device size " + sizeBytes);
        }
    }

    /** The device path, e.g. /dev/pmem0. */
    public String path() { return "/dev/" + name; }

    public SpaRange spa() { return SpaRange.ofSize(spaStartBytes, sizeBytes); }

    /** SPA of a byte offset on the device. */
    public long spaOf(long deviceOffsetBytes) {
        if (deviceOffsetBytes < 0 || deviceOffsetBytes >= sizeBytes) {
            throw new NdException(NdException.Reason.BAD_RANGE, "deviceOffsetBytes",
                    org.vnvdimm.contract.ComponentBehavior.format("%#x outside %s of size %#x", deviceOffsetBytes, name, sizeBytes));
        }
        return spaStartBytes + deviceOffsetBytes;
    }
}
