// Which families a safeflash-agent process plays: one for all its devices (--family) or a mix in device
// order (--families huawei=5,docsis=5), each with its personality and the hardware model its virtual
// devices report. The composition root for personalities: the agent and the families stay apart.
import type { MemberKind } from '../../agent/fleet.ts';
import { safeflashPersonality } from '../../agent/snmp/safeflash-personality.ts';
import type { Personality } from '../../agent/snmp/personality.ts';
import type { FactorySoftware } from '../../agent/vendor-key.ts';
import { ciscoIosPersonality } from '../../families/cisco-ios/personality.ts';
import { docsisPersonality } from '../../families/docsis/personality.ts';
import { huaweiPersonality } from '../../families/huawei/personality.ts';
import type { FamilyName } from '../../families/family.ts';
import type { FamilyShare } from './family-options.ts';

export interface PersonalityOptions {
  /** Where devices that cannot name a port (modems and IOS ask the protocols' own) find the lab's file servers. */
  tftpPort: number;
  ftpPort: number;
}

/** Each family's personality and the model of its virtual devices (undefined: the --model option's). */
const played: Record<FamilyName, { model: string | undefined; personality: (options: PersonalityOptions) => Personality }> = {
  safeflash: { model: undefined, personality: () => safeflashPersonality },
  huawei: {
    model: 'AR2220',
    personality: (options) => huaweiPersonality({ tftpPort: () => options.tftpPort, ftpPort: () => options.ftpPort }),
  },
  'cisco-ios': {
    model: 'ISR-4321',
    personality: (options) => ciscoIosPersonality({ tftpPort: () => options.tftpPort, ftpPort: () => options.ftpPort }),
  },
  docsis: { model: 'CM-3200', personality: (options) => docsisPersonality({ tftpPort: () => options.tftpPort }) },
};

/** What device n (1-based) is, for a mix of families; `software(model)` signs each model's factory image. */
export function kindsOf(
  shares: FamilyShare[],
  defaultModel: string,
  software: (model: string) => FactorySoftware,
  options: PersonalityOptions,
): (device: number) => MemberKind {
  const kinds = shares.flatMap(({ family, devices }) => {
    const model = played[family].model ?? defaultModel;
    const kind: MemberKind = { personality: played[family].personality(options), model, software: software(model) };
    return Array.from({ length: devices }, () => kind);
  });
  return (device) => kinds[device - 1] ?? kinds[kinds.length - 1]!;
}
