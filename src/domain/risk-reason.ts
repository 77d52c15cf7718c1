// A risk reason from the configurable catalog.
export interface RiskReason {
  id: number;
  key: string;
  name: string;
  description: string | null;
  position: number;
  active: boolean;
}
