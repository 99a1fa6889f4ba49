package durablerooms.room;

/**
 * When an ACK may go out (ROOMS_DURABILITY). MEMORY: once the message is in the memory of two
 * nodes (the owner and the backup); a one-node cluster has no second node, so there it waits for
 * the disk. DISK: always once it is written to the store.
 */
public enum Durability {
  MEMORY,
  DISK;

  public boolean waitForDisk(int clusterSize) {
    return this == DISK || clusterSize < 2;
  }
}
